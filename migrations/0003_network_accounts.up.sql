-- The network (UNML > régions > Missions Locales > sites), people and their
-- memberships, one-time tokens, login throttling and the email outbox.

CREATE TABLE regions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
    nom        text NOT NULL CHECK (nom <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A Mission Locale. code is its stable external code, the key of CSV imports.
CREATE TABLE structures (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
    nom        text NOT NULL CHECK (nom <> ''),
    region_id  bigint NOT NULL REFERENCES regions,
    forme      text NOT NULL DEFAULT 'association' CHECK (forme IN ('association', 'gip')),
    siret      text CHECK (siret ~ '^[0-9]{14}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON structures (region_id);

CREATE TABLE sites (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$'),
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    nom          text NOT NULL CHECK (nom <> ''),
    kind         text NOT NULL CHECK (kind IN ('siege', 'antenne', 'relais', 'permanence')),
    adresse      text NOT NULL DEFAULT '',
    code_postal  text NOT NULL DEFAULT '' CHECK (code_postal = '' OR code_postal ~ '^[0-9][0-9AB][0-9]{3}$'),
    commune      text NOT NULL CHECK (commune <> ''),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON sites (structure_id);
-- One siège per Mission Locale.
CREATE UNIQUE INDEX sites_one_siege ON sites (structure_id) WHERE kind = 'siege';

CREATE TABLE users (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email                text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    nom                  text NOT NULL DEFAULT '',
    -- NULL until the invited person sets a password.
    password_hash        text,
    disabled_at          timestamptz,
    -- Sessions opened before this instant are void ("log out of every device").
    sessions_valid_after timestamptz NOT NULL DEFAULT '-infinity',
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (email)
);

-- A role held on a scope: an ML for directeur and contributeur, a région for the
-- référent ARML, none (national or platform) for the others.
CREATE TABLE memberships (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    role         text NOT NULL CHECK (role IN ('directeur', 'contributeur', 'referent_arml', 'auditeur', 'pole', 'admin')),
    region_id    bigint REFERENCES regions ON DELETE CASCADE,
    structure_id bigint REFERENCES structures ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   bigint REFERENCES users ON DELETE SET NULL,
    CHECK ((role IN ('directeur', 'contributeur') AND structure_id IS NOT NULL AND region_id IS NULL)
        OR (role = 'referent_arml' AND region_id IS NOT NULL AND structure_id IS NULL)
        OR (role IN ('auditeur', 'pole', 'admin') AND region_id IS NULL AND structure_id IS NULL))
);
CREATE UNIQUE INDEX memberships_unique ON memberships (user_id, role, coalesce(region_id, 0), coalesce(structure_id, 0));
CREATE INDEX ON memberships (structure_id);
CREATE INDEX ON memberships (region_id);

-- Where a Mission Locale belonged, and when: a move closes a row and opens one.
CREATE TABLE structure_regions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    structure_id bigint NOT NULL REFERENCES structures ON DELETE CASCADE,
    region_id    bigint NOT NULL REFERENCES regions,
    since        timestamptz NOT NULL DEFAULT now(),
    until        timestamptz,
    moved_by     bigint REFERENCES users ON DELETE SET NULL,
    CHECK (until IS NULL OR until >= since)
);
CREATE UNIQUE INDEX structure_regions_current ON structure_regions (structure_id) WHERE until IS NULL;

-- Single-use links: invitations and password resets. Only the SHA-256 of the token
-- is kept, so a database read does not give working links.
CREATE TABLE user_tokens (
    hash       bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by bigint REFERENCES users ON DELETE SET NULL
);
CREATE INDEX ON user_tokens (user_id);

-- Failed logins, for throttling per account and per address.
CREATE TABLE login_failures (
    email text NOT NULL,
    ip    text NOT NULL,
    at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON login_failures (email, at);
CREATE INDEX ON login_failures (ip, at);

-- Email waiting to be sent (or kept for reading when no SMTP server is set).
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient       text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    last_error      text NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;
