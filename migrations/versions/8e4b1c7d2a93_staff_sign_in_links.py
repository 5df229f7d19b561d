"""staff sign-in links: the newest link's nonce per staff member, the area of a queued request

Revision ID: 8e4b1c7d2a93
Revises: 5d8b2f0c4e61
Create Date: 2026-12-02 09:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e4b1c7d2a93'
down_revision = '5d8b2f0c4e61'
branch_labels = None
depends_on = None


def upgrade():
    # As contacts.sign_in_link_nonce: a new link replaces it, using the link clears it.
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_link_nonce', sa.String(length=64), nullable=True))

    # Which login a queued request is for; requests queued before this were all contacts'.
    with op.batch_alter_table('sign_in_link_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area', sa.String(length=10), server_default='portal', nullable=False))


def downgrade():
    with op.batch_alter_table('sign_in_link_requests', schema=None) as batch_op:
        batch_op.drop_column('area')

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('sign_in_link_nonce')
