"""card payments: payment kind, gateway reference and refunds; payment attempts; gateway events

Revision ID: d17a5c0b2e61
Revises: 3c2f8e1d9a47
Create Date: 2026-12-02 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd17a5c0b2e61'
down_revision = '3c2f8e1d9a47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='manual', nullable=False))
        batch_op.add_column(sa.Column('gateway', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('gateway_reference', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='succeeded', nullable=False))
        batch_op.add_column(
            sa.Column('refunded_amount', sa.Numeric(precision=12, scale=2), server_default='0', nullable=False)
        )
        batch_op.create_unique_constraint(batch_op.f('uq_payments_gateway_reference'), ['gateway_reference'])
        batch_op.create_index(batch_op.f('ix_payments_status'), ['status'], unique=False)

    op.create_table(
        'payment_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=True),
        sa.Column('contact_id', sa.Integer(), nullable=True),
        sa.Column('gateway', sa.String(length=20), nullable=False),
        sa.Column('intent_id', sa.String(length=80), nullable=False),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('needs_review', sa.Boolean(), nullable=False),
        sa.Column('review_reason', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['contact_id'], ['contacts.id'], name=op.f('fk_payment_attempts_contact_id_contacts'), ondelete='SET NULL'
        ),
        sa.ForeignKeyConstraint(
            ['invoice_id'], ['invoices.id'], name=op.f('fk_payment_attempts_invoice_id_invoices'), ondelete='SET NULL'
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_attempts')),
        sa.UniqueConstraint('intent_id', name=op.f('uq_payment_attempts_intent_id')),
    )
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_attempts_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempts_needs_review'), ['needs_review'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_attempts_status'), ['status'], unique=False)

    op.create_table(
        'gateway_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('gateway', sa.String(length=20), nullable=False),
        sa.Column('event_id', sa.String(length=80), nullable=False),
        sa.Column('event_type', sa.String(length=80), nullable=False),
        sa.Column('outcome', sa.String(length=40), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gateway_events')),
        sa.UniqueConstraint('gateway', 'event_id', name='uq_gateway_events_gateway_event_id'),
    )


def downgrade():
    op.drop_table('gateway_events')
    with op.batch_alter_table('payment_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_attempts_status'))
        batch_op.drop_index(batch_op.f('ix_payment_attempts_needs_review'))
        batch_op.drop_index(batch_op.f('ix_payment_attempts_invoice_id'))
    op.drop_table('payment_attempts')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payments_status'))
        batch_op.drop_constraint(batch_op.f('uq_payments_gateway_reference'), type_='unique')
        batch_op.drop_column('refunded_amount')
        batch_op.drop_column('status')
        batch_op.drop_column('gateway_reference')
        batch_op.drop_column('gateway')
        batch_op.drop_column('kind')
