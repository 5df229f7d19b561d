"""sign-in links: the newest link's nonce per contact, queued sign-in link requests

Revision ID: 5d8b2f0c4e61
Revises: d17a5c0b2e61
Create Date: 2026-12-02 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d8b2f0c4e61'
down_revision = 'd17a5c0b2e61'
branch_labels = None
depends_on = None


def upgrade():
    # The nonce of the contact's newest sign-in link: a new link replaces it (older links die),
    # using the link clears it (single use).
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_in_link_nonce', sa.String(length=64), nullable=True))

    # "A sign-in link was asked for this address": written by the request whatever the address,
    # resolved (and deleted) by the mail dispatcher after the response.
    op.create_table('sign_in_link_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('next_path', sa.String(length=500), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_link_requests'))
    )


def downgrade():
    op.drop_table('sign_in_link_requests')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('sign_in_link_nonce')
