"""form submission keys for every form: when claimed and where the first submission went

Revision ID: a13f0c5e7d21
Revises: b5b53bf9441f
Create Date: 2026-12-01 23:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a13f0c5e7d21'
down_revision = 'b5b53bf9441f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sa.DateTime(), nullable=False, server_default=sa.func.now()))
        batch_op.add_column(sa.Column('result_url', sa.String(length=500), nullable=True))
        batch_op.alter_column('target_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM form_submissions WHERE target_id IS NULL")
    with op.batch_alter_table('form_submissions', schema=None) as batch_op:
        batch_op.alter_column('target_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('result_url')
        batch_op.drop_column('created_at')
