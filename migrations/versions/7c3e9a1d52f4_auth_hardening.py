"""auth hardening: last used TOTP step per user, queued password reset requests

Revision ID: 7c3e9a1d52f4
Revises: a13f0c5e7d21
Create Date: 2026-12-01 23:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3e9a1d52f4'
down_revision = 'a13f0c5e7d21'
branch_labels = None
depends_on = None


def upgrade():
    # The time step of the last accepted TOTP code: a code is refused once its step was used.
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))

    # "A reset was asked for this address": written by the request whatever the address,
    # resolved (and deleted) by the mail dispatcher after the response.
    op.create_table('password_reset_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_requests'))
    )


def downgrade():
    op.drop_table('password_reset_requests')

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
