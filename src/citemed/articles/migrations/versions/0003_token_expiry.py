"""API tokens expire: `api_tokens.expires_at`.

Tokens that existed before this migration are given 90 days (the default lifetime) from the
moment of the upgrade, so no integration breaks without warning.

Revision ID: 0003
Revises: 0002
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    expires = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=90)
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
    op.execute(sa.text("UPDATE api_tokens SET expires_at = :expires")
               .bindparams(expires=expires))
    # SQLite cannot change a column's nullability in place; batch mode copies the table.
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
