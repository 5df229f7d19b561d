"""auth hardening: last used TOTP step per user

Revision ID: 7c3e9a1d52f4
Revises: b5b53bf9441f
Create Date: 2026-12-01 23:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3e9a1d52f4'
down_revision = 'b5b53bf9441f'
branch_labels = None
depends_on = None


def upgrade():
    # The time step of the last accepted TOTP code: a code is refused once its step was used.
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
