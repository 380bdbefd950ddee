-- Single sign-on (OpenID Connect): an account provisioned at its first sign-in is linked to the identity provider's
-- issuer and subject, and is found by them at every later sign-in (never by its user name, so a local account that
-- happens to share the name is not taken over). Local accounts leave both null.
ALTER TABLE users
    ADD COLUMN external_issuer  text,
    ADD COLUMN external_subject text,
    ADD CONSTRAINT users_external_identity_whole CHECK ((external_issuer IS NULL) = (external_subject IS NULL));
CREATE UNIQUE INDEX users_external_identity_key ON users (external_issuer, external_subject) WHERE external_issuer IS NOT NULL;
