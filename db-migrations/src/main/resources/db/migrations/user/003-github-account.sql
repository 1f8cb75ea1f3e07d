-- The user's GitHub account (upstream's Better Auth "account" row of provider github): the OAuth
-- access token AES-GCM sealed by the caller with FOUNDRY_CREDENTIALS_KEY (this file never holds it
-- in clear), the scopes GitHub granted, and the token's expiry when GitHub set one (epoch ms).
CREATE TABLE user_github_account (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  account_id TEXT NOT NULL,
  login TEXT NOT NULL,
  scope TEXT NOT NULL,
  token_nonce TEXT NOT NULL,
  token_ciphertext TEXT NOT NULL,
  token_expires_at INTEGER,
  updated_at INTEGER NOT NULL
);
