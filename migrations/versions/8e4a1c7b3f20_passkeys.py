"""passkeys: WebAuthn credentials of contacts and staff, their ceremonies' challenges, user handles

Revision ID: 8e4a1c7b3f20
Revises: 8e4b1c7d2a93
Create Date: 2026-12-02 09:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8e4a1c7b3f20'
down_revision = "8e4b1c7d2a93"
branch_labels = None
depends_on = None


def upgrade():
    # A passkey belongs to exactly one contact or one staff member.
    op.create_table('passkeys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('credential_id', sa.String(length=1400), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('transports', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(contact_id IS NULL) <> (staff_id IS NULL)', name=op.f('ck_passkeys_one_owner')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_passkeys_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_passkeys_staff_id_staff_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkeys')),
    sa.UniqueConstraint('credential_id', name=op.f('uq_passkeys_credential_id'))
    )
    with op.batch_alter_table('passkeys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkeys_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_passkeys_staff_id'), ['staff_id'], unique=False)

    # A challenge lives until its ceremony uses it (single use) or it expires.
    op.create_table('passkey_challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('challenge', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=60), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passkey_challenges')),
    sa.UniqueConstraint('challenge', name=op.f('uq_passkey_challenges_challenge'))
    )
    with op.batch_alter_table('passkey_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passkey_challenges_created_at'), ['created_at'], unique=False)

    # The random WebAuthn user handle of each person with a passkey.
    for table in ('contacts', 'staff_users'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('passkey_user_handle', sa.String(length=100), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_passkey_user_handle'), ['passkey_user_handle'])


def downgrade():
    for table in ('staff_users', 'contacts'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_passkey_user_handle'), type_='unique')
            batch_op.drop_column('passkey_user_handle')

    with op.batch_alter_table('passkey_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkey_challenges_created_at'))
    op.drop_table('passkey_challenges')

    with op.batch_alter_table('passkeys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_passkeys_staff_id'))
        batch_op.drop_index(batch_op.f('ix_passkeys_contact_id'))
    op.drop_table('passkeys')
