-- Stripe billing (spec §4.2, §11.5). A real organization keeps its Stripe customer and
-- subscription and its invoices; the `app` instance keeps the lookup from Stripe objects to
-- organizations and the ids of the webhook events it already took (deduplication).
-- Numbered 003: 002 is the GitHub sign-in migration built on another branch.

ALTER TABLE organization_profile ADD COLUMN stripe_customer_id TEXT;
ALTER TABLE organization_profile ADD COLUMN stripe_subscription_id TEXT;
ALTER TABLE organization_profile ADD COLUMN stripe_price_id TEXT;
ALTER TABLE organization_profile ADD COLUMN billing_trial_ends_at TEXT;
ALTER TABLE organization_profile ADD COLUMN billing_renewal_at TEXT;

-- Invoices as Stripe last reported them; issued_at is YYYY-MM-DD, status paid or open.
CREATE TABLE invoices (
  id TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  amount_usd INTEGER NOT NULL,
  status TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- App instance only: `customer:<id>` / `subscription:<id>` -> organization.
CREATE TABLE stripe_lookup (
  lookup_key TEXT PRIMARY KEY,
  organization_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- App instance only: every Stripe webhook event taken, by its id, so a redelivery changes nothing.
CREATE TABLE stripe_webhook_events (
  event_id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  organization_id TEXT,
  received_at INTEGER NOT NULL
);
