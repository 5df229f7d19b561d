"""contacts deactivated by staff

Revision ID: 3c2f8e1d9a47
Revises: 7c3e9a1d52f4
Create Date: 2026-12-01 23:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c2f8e1d9a47'
down_revision = '7c3e9a1d52f4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('deactivated_by_staff', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('deactivated_by_staff')
