/**
 * Schema migrations, applied in order at open; `PRAGMA user_version` records how many have run.
 * Never edit a migration that has shipped: add a new one.
 * Times are UTC ISO strings at second precision ("2024-01-15T14:30:00Z"), which sort as text.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: people, credentials, reservations, roles, events */ `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE people (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name TEXT NOT NULL,
    last_name  TEXT NOT NULL,
    email      TEXT,
    enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    valid_from TEXT,
    valid_to   TEXT,
    notes      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX people_email ON people (lower(email)) WHERE email IS NOT NULL;

  -- digest: HMAC-SHA256 of the value under the installation key, for PINs and cards alike; the door hashes what it
  -- reads and looks it up here, and the UNIQUE index makes a value belong to one person.
  -- value: the card number; a PIN only under plaintext storage.
  -- pin_length: kept so density and key collection need no plaintext.
  CREATE TABLE credentials (
    id                 TEXT PRIMARY KEY,
    person_id          INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    credential_type_id INTEGER NOT NULL CHECK (credential_type_id IN (5, 6)),
    value              TEXT,
    digest             TEXT NOT NULL,
    pin_length         INTEGER CHECK (pin_length BETWEEN 4 AND 8),
    enabled            INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX credentials_value ON credentials (credential_type_id, digest);
  CREATE UNIQUE INDEX credentials_one_per_type ON credentials (person_id, credential_type_id);
  CREATE INDEX credentials_pin_length ON credentials (credential_type_id, pin_length) WHERE enabled = 1;
  -- A value never changes (the guide: delete it and create a new one).
  CREATE TRIGGER credentials_value_fixed BEFORE UPDATE OF value, digest, credential_type_id, person_id ON credentials
  BEGIN SELECT RAISE(ABORT, 'a credential value cannot be changed'); END;

  -- No rows in reservation_doors means every door.
  CREATE TABLE reservations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id  INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    start_time TEXT NOT NULL,
    end_time   TEXT NOT NULL CHECK (end_time > start_time),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;
  CREATE INDEX reservations_person ON reservations (person_id, end_time);
  CREATE TABLE reservation_doors (
    reservation_id INTEGER NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
    door_id        INTEGER NOT NULL,
    PRIMARY KEY (reservation_id, door_id)
  ) STRICT;

  -- Roles give standing access: the doors they name (no rows = all doors) in weekly slots in the site time zone
  -- (no slots = 24/7). days is a bitmask, bit 0 = Monday; end_minute < start_minute spans midnight.
  CREATE TABLE roles (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE role_doors (
    role_id INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    door_id INTEGER NOT NULL,
    PRIMARY KEY (role_id, door_id)
  ) STRICT;
  CREATE TABLE role_slots (
    id           INTEGER PRIMARY KEY,
    role_id      INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    days         INTEGER NOT NULL CHECK (days BETWEEN 1 AND 127),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 0 AND 1440)
  ) STRICT;
  CREATE TABLE person_roles (
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    role_id   INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    PRIMARY KEY (person_id, role_id)
  ) STRICT;

  -- Append-only history. door_seq numbers each door's events without gaps, so a consumer can see what it missed.
  -- detail is JSON and never holds a PIN.
  CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    door_id         INTEGER,
    door_seq        INTEGER,
    event_code      INTEGER NOT NULL,
    event_type      TEXT NOT NULL,
    event_label     TEXT NOT NULL,
    person_id       INTEGER,
    person_name     TEXT,
    credential_id   TEXT,
    credential_type TEXT,
    reason          TEXT,
    source          TEXT,
    detail          TEXT,
    created_at      TEXT NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX events_door_seq ON events (door_id, door_seq);
  CREATE INDEX events_person ON events (person_id, id);
  CREATE INDEX events_created ON events (created_at);
  CREATE TRIGGER events_append_only BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
  `,
  /* 2: the door runtime: built-in role, time trust on events, persisted keypad lockouts */ `
  ALTER TABLE roles ADD COLUMN builtin INTEGER NOT NULL DEFAULT 0;
  INSERT INTO roles (name, builtin, created_at, updated_at)
    VALUES ('Everyone', 1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
  -- Before roles existed every person had access to every door at all times: keep that for them.
  INSERT INTO person_roles (person_id, role_id) SELECT id, (SELECT id FROM roles WHERE name = 'Everyone') FROM people;

  ALTER TABLE events ADD COLUMN time_trusted INTEGER;
  -- uid: time-sortable unique id made when the event happens; a re-sent event is recognised and not stored twice.
  ALTER TABLE events ADD COLUMN uid TEXT;
  CREATE UNIQUE INDEX events_uid ON events (uid);

  -- remaining_ms, not a wall-clock deadline: a wrong clock after a power cut cannot shorten a lockout.
  CREATE TABLE lockouts (
    door_id      INTEGER PRIMARY KEY,
    level        INTEGER NOT NULL,
    consecutive  INTEGER NOT NULL,
    remaining_ms INTEGER NOT NULL,
    updated_at   TEXT NOT NULL
  ) STRICT;
  `,
  /* 3: API tokens, stored as SHA-256 of a 256-bit random token (high entropy: no slow hash needed) */ `
  CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
  ) STRICT;
  `,
  /* 4: records synced from an upstream API: upstream_id marks them (NULL = made here) and is how a pull finds them */ `
  ALTER TABLE people ADD COLUMN upstream_id INTEGER;
  CREATE UNIQUE INDEX people_upstream ON people (upstream_id) WHERE upstream_id IS NOT NULL;
  -- The upstream owns its people's emails; uniqueness is kept among the people made here.
  DROP INDEX people_email;
  CREATE UNIQUE INDEX people_email ON people (lower(email)) WHERE email IS NOT NULL AND upstream_id IS NULL;
  ALTER TABLE credentials ADD COLUMN upstream_id TEXT;
  CREATE UNIQUE INDEX credentials_upstream ON credentials (upstream_id) WHERE upstream_id IS NOT NULL;
  ALTER TABLE reservations ADD COLUMN upstream_id INTEGER;
  CREATE UNIQUE INDEX reservations_upstream ON reservations (upstream_id) WHERE upstream_id IS NOT NULL;
  -- "role:<id>" or "group:<id>": upstream groups become roles here.
  ALTER TABLE roles ADD COLUMN upstream_id TEXT;
  CREATE UNIQUE INDEX roles_upstream ON roles (upstream_id) WHERE upstream_id IS NOT NULL;
  `,
  /* 5: lockout windows that survive a restart; times the decision reads can only be stored in the one format */ `
  -- JSON: the recent wrong PINs as ages at the moment of saving (see core/lockout.ts PersistedLockout).
  ALTER TABLE lockouts ADD COLUMN windows TEXT NOT NULL DEFAULT '{}';

  -- A value still never changes, but a PIN's readable value may be removed (pin_policy.storage plaintext -> digest):
  -- the digest, which is what the door looks up, stays.
  DROP TRIGGER credentials_value_fixed;
  CREATE TRIGGER credentials_value_fixed BEFORE UPDATE OF value, digest, credential_type_id, person_id ON credentials
  WHEN NEW.digest IS NOT OLD.digest OR NEW.credential_type_id IS NOT OLD.credential_type_id OR NEW.person_id IS NOT OLD.person_id
    OR (NEW.value IS NOT OLD.value AND NOT (OLD.credential_type_id = 6 AND NEW.value IS NULL))
  BEGIN SELECT RAISE(ABORT, 'a credential value cannot be changed'); END;

  -- SQLite cannot add a CHECK to an existing table, so triggers refuse what the access decision could not read
  -- ("2026-01-15T09:00:00Z" only: strftime gives back exactly the value for a real UTC time at second precision).
  CREATE TRIGGER people_times_insert BEFORE INSERT ON people
  WHEN (NEW.valid_from IS NOT NULL AND strftime('%Y-%m-%dT%H:%M:%SZ', NEW.valid_from) IS NOT NEW.valid_from)
    OR (NEW.valid_to IS NOT NULL AND strftime('%Y-%m-%dT%H:%M:%SZ', NEW.valid_to) IS NOT NEW.valid_to)
  BEGIN SELECT RAISE(ABORT, 'people.valid_from/valid_to: must be a UTC time like 2026-01-15T09:00:00Z'); END;
  CREATE TRIGGER people_times_update BEFORE UPDATE OF valid_from, valid_to ON people
  WHEN (NEW.valid_from IS NOT NULL AND strftime('%Y-%m-%dT%H:%M:%SZ', NEW.valid_from) IS NOT NEW.valid_from)
    OR (NEW.valid_to IS NOT NULL AND strftime('%Y-%m-%dT%H:%M:%SZ', NEW.valid_to) IS NOT NEW.valid_to)
  BEGIN SELECT RAISE(ABORT, 'people.valid_from/valid_to: must be a UTC time like 2026-01-15T09:00:00Z'); END;
  CREATE TRIGGER credentials_time_insert BEFORE INSERT ON credentials
  WHEN strftime('%Y-%m-%dT%H:%M:%SZ', NEW.created_at) IS NOT NEW.created_at
  BEGIN SELECT RAISE(ABORT, 'credentials.created_at: must be a UTC time like 2026-01-15T09:00:00Z'); END;
  CREATE TRIGGER credentials_time_update BEFORE UPDATE OF created_at ON credentials
  WHEN strftime('%Y-%m-%dT%H:%M:%SZ', NEW.created_at) IS NOT NEW.created_at
  BEGIN SELECT RAISE(ABORT, 'credentials.created_at: must be a UTC time like 2026-01-15T09:00:00Z'); END;
  CREATE TRIGGER reservations_times_insert BEFORE INSERT ON reservations
  WHEN strftime('%Y-%m-%dT%H:%M:%SZ', NEW.start_time) IS NOT NEW.start_time
    OR strftime('%Y-%m-%dT%H:%M:%SZ', NEW.end_time) IS NOT NEW.end_time
  BEGIN SELECT RAISE(ABORT, 'reservations.start_time/end_time: must be a UTC time like 2026-01-15T09:00:00Z'); END;
  CREATE TRIGGER reservations_times_update BEFORE UPDATE OF start_time, end_time ON reservations
  WHEN strftime('%Y-%m-%dT%H:%M:%SZ', NEW.start_time) IS NOT NEW.start_time
    OR strftime('%Y-%m-%dT%H:%M:%SZ', NEW.end_time) IS NOT NEW.end_time
  BEGIN SELECT RAISE(ABORT, 'reservations.start_time/end_time: must be a UTC time like 2026-01-15T09:00:00Z'); END;
  `,
  /* 6: console users, their sessions, and the audit of what each did (issue 18) */ `
  -- A password is kept only as scrypt$N$r$p$salt$hash (application/console-users.ts); names compare without case.
  CREATE TABLE console_users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'viewer')),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
    created_at TEXT NOT NULL,
    password_changed_at TEXT NOT NULL
  );
  -- Only a SHA-256 of a session id is kept, like tokens: a copy of the database opens no session.
  -- Deleting a user (or changing the password, which deletes the rows) revokes every session at once.
  CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    address TEXT
  );
  CREATE INDEX console_sessions_user ON console_sessions (user_id);
  -- Who did what from the console or keypadd user: the user by name (kept after the user is deleted).
  -- The console's people search: prefixes of names and email, in any case (LIKE), each an index range.
  CREATE INDEX people_first_name ON people (first_name COLLATE NOCASE);
  CREATE INDEX people_last_name ON people (last_name COLLATE NOCASE);
  CREATE INDEX people_email_prefix ON people (email COLLATE NOCASE);
  CREATE TABLE console_audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_name TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
  );
  `,
  /* 7: site operations (issue 17): door modes that survive a restart, shifts, holidays, admission requests, emergency flag */ `
  -- One row per door (door_id 0 = the whole site, for a site lockdown). lockdown: JSON {card, rex, aux} or NULL.
  -- held/relock_at: DoorFlow's unlock mode (until relock_at when set). auto_*: the auto-unlock shift and where it is.
  CREATE TABLE door_modes (
    door_id              INTEGER PRIMARY KEY,
    lockdown             TEXT,
    lockdown_source      TEXT,
    held                 INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1)),
    relock_at            TEXT,
    change_stamp         TEXT,
    auto_unlock_shift_id INTEGER,
    auto_phase           TEXT NOT NULL DEFAULT 'idle' CHECK (auto_phase IN ('idle', 'waiting', 'unlocked', 'closing')),
    auto_since           TEXT,
    updated_at           TEXT NOT NULL
  ) STRICT;
  -- Weekly slots as in role_slots, as JSON [{days, start_minute, end_minute}].
  CREATE TABLE shifts (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    slots           TEXT NOT NULL,
    first_person_in INTEGER NOT NULL DEFAULT 0 CHECK (first_person_in IN (0, 1)),
    last_to_leave   INTEGER NOT NULL DEFAULT 0 CHECK (last_to_leave IN (0, 1)),
    created_at      TEXT NOT NULL
  ) STRICT;
  -- date: YYYY-MM-DD once, or MM-DD every year (core/site-calendar.ts). uid: the iCalendar UID it was imported from.
  CREATE TABLE holidays (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    date       TEXT NOT NULL UNIQUE CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' OR date GLOB '[0-9][0-9]-[0-9][0-9]'),
    closed     INTEGER NOT NULL DEFAULT 1 CHECK (closed IN (0, 1)),
    slots      TEXT NOT NULL DEFAULT '[]',
    uid        TEXT,
    created_at TEXT NOT NULL
  ) STRICT;
  CREATE TABLE admission_requests (
    id           INTEGER PRIMARY KEY,
    channel_id   INTEGER NOT NULL,
    person_id    INTEGER,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'admitted', 'denied', 'offline')),
    reason       TEXT,
    source       TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    completed_at TEXT
  ) STRICT;
  ALTER TABLE people ADD COLUMN emergency INTEGER NOT NULL DEFAULT 0 CHECK (emergency IN (0, 1));
  -- Bumped by every change to shifts and holidays, so the doors re-read the calendar only when it changed.
  CREATE TABLE calendar_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL) STRICT;
  INSERT INTO calendar_version VALUES (1, 0);
  CREATE TRIGGER shifts_ins AFTER INSERT ON shifts BEGIN UPDATE calendar_version SET version = version + 1; END;
  CREATE TRIGGER shifts_upd AFTER UPDATE ON shifts BEGIN UPDATE calendar_version SET version = version + 1; END;
  CREATE TRIGGER shifts_del AFTER DELETE ON shifts BEGIN UPDATE calendar_version SET version = version + 1; END;
  CREATE TRIGGER holidays_ins AFTER INSERT ON holidays BEGIN UPDATE calendar_version SET version = version + 1; END;
  CREATE TRIGGER holidays_upd AFTER UPDATE ON holidays BEGIN UPDATE calendar_version SET version = version + 1; END;
  CREATE TRIGGER holidays_del AFTER DELETE ON holidays BEGIN UPDATE calendar_version SET version = version + 1; END;
  `,
  /* 8: webhooks (DoorFlow's notification rules): the rule, its delivery state, and the events it parked */ `
  -- AUTOINCREMENT: a deleted rule's id never names another rule (a client holding it, the worker's runners).
  CREATE TABLE notification_rules (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT NOT NULL,
    active            INTEGER NOT NULL DEFAULT 1,
    call_back_url     TEXT NOT NULL,
    event_codes       TEXT NOT NULL,               -- JSON array of DoorFlow event codes
    door_ids          TEXT NOT NULL DEFAULT '[]',  -- JSON array; empty = every door (and controller events)
    allow_http        INTEGER NOT NULL DEFAULT 0,  -- http:// to a host other than loopback, explicitly allowed
    payload           TEXT NOT NULL DEFAULT 'event' CHECK (payload IN ('event', 'slack', 'telegram', 'text')),
    secret            TEXT NOT NULL,               -- the HMAC key: kept readable, since each delivery is signed with it
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    -- Written by the webhook worker only.
    failing_since     TEXT,
    failing_alarmed   INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    last_delivered_at TEXT,
    delivered_count   INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE TABLE webhook_parked (
    id         INTEGER PRIMARY KEY,
    rule_id    INTEGER NOT NULL REFERENCES notification_rules (id) ON DELETE CASCADE,
    event_id   INTEGER NOT NULL,
    http_status INTEGER,
    reason     TEXT NOT NULL,
    parked_at  TEXT NOT NULL
  ) STRICT;
  CREATE INDEX webhook_parked_rule ON webhook_parked (rule_id, id);
  `,
  /* 9: OAuth client credentials (scripts get short-lived tokens from a client id and secret made with the CLI) */ `
  CREATE TABLE oauth_clients (
    id          INTEGER PRIMARY KEY,
    client_id   TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,               -- SHA-256 of the secret, which is shown once
    name        TEXT NOT NULL,
    scopes      TEXT NOT NULL,               -- JSON: the most a token issued to it may carry
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
  ) STRICT;
  ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
  ALTER TABLE api_tokens ADD COLUMN oauth_client_id INTEGER REFERENCES oauth_clients (id);
  `,
  /* 10: groups as DoorFlow has them (doors and weekly slots like a role), membership, and group reservations */ `
  -- No rows in group_doors means every door; no rows in group_slots means 24/7 (as for roles). "groups" is an SQL keyword.
  CREATE TABLE access_groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    notes       TEXT,
    upstream_id INTEGER,                       -- set on groups pulled from the upstream (read-only here)
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX groups_upstream ON access_groups (upstream_id) WHERE upstream_id IS NOT NULL;
  CREATE TABLE group_doors (
    group_id INTEGER NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    door_id  INTEGER NOT NULL,
    PRIMARY KEY (group_id, door_id)
  ) STRICT;
  CREATE TABLE group_slots (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    days         INTEGER NOT NULL CHECK (days BETWEEN 1 AND 127),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440)
  ) STRICT;
  CREATE TABLE person_groups (
    person_id INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    group_id  INTEGER NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (person_id, group_id)
  ) STRICT;
  CREATE INDEX person_groups_group ON person_groups (group_id);
  -- A time-limited membership; deactivated_at is set when it is deleted while active (DoorFlow keeps such rows).
  CREATE TABLE group_reservations (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id      INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    start_time     TEXT NOT NULL CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', start_time) IS start_time),
    end_time       TEXT NOT NULL CHECK (strftime('%Y-%m-%dT%H:%M:%SZ', end_time) IS end_time),
    deactivated_at TEXT,
    upstream_id    INTEGER,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
  ) STRICT;
  CREATE UNIQUE INDEX group_reservations_upstream ON group_reservations (upstream_id) WHERE upstream_id IS NOT NULL;
  CREATE INDEX group_reservations_person ON group_reservations (person_id, end_time);
  CREATE TABLE group_reservation_groups (
    reservation_id INTEGER NOT NULL REFERENCES group_reservations (id) ON DELETE CASCADE,
    group_id       INTEGER NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (reservation_id, group_id)
  ) STRICT;
  `,
  /* 11: use-limited PINs (uses_remaining, spent with the grant's event) and a person's own unlock time */ `
  -- NULL: unlimited. The door's grant event spends one in the same transaction (event-repo.ts), so a crash after a
  -- stored grant never gives the use back.
  ALTER TABLE credentials ADD COLUMN uses_remaining INTEGER CHECK (uses_remaining IS NULL OR uses_remaining >= 0);
  -- NULL: the door's own unlock time; otherwise the relay holds for the longer of the two (accessibility).
  ALTER TABLE people ADD COLUMN unlock_seconds INTEGER CHECK (unlock_seconds IS NULL OR unlock_seconds BETWEEN 1 AND 300);
  `,
  /* 12: credential expiry (issue 20): grants by credential, PIN ages, the pin_expiring markers, per-person duress PINs */ `
  -- "Last used" of a credential is its newest grant: this index answers it per credential without a scan.
  CREATE INDEX events_credential_grants ON events (credential_id, created_at) WHERE event_type = 'access_granted';
  -- The enabled PINs by age, for the pin_expiring check (a range of created_at, whatever the table's size).
  CREATE INDEX credentials_pin_age ON credentials (credential_type_id, created_at, id) WHERE enabled = 1;
  -- One row per PIN warned about: written in the pin_expiring event's own commit (event-repo.ts), so a warning is
  -- never given twice for the same PIN (keyed by its created_at too: a PIN reset is a new credential and warns again).
  CREATE TABLE pin_expiry_warnings (
    credential_id  TEXT NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    pin_created_at TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    warned_at      TEXT NOT NULL,
    PRIMARY KEY (credential_id, pin_created_at)
  ) STRICT;
  -- A person's duress PIN opens like their PIN and raises a duress alarm; a person has at most one of each.
  ALTER TABLE credentials ADD COLUMN duress INTEGER NOT NULL DEFAULT 0 CHECK (duress IN (0, 1) AND (duress = 0 OR credential_type_id = 6));
  DROP INDEX credentials_one_per_type;
  CREATE UNIQUE INDEX credentials_one_per_type ON credentials (person_id, credential_type_id, duress);
  `,
  /* 13: the readable PINs, so a start under digest storage finds none without reading every credential (issue 21) */ `
  -- Under digest storage this index is empty, and the start-up's "forget readable PINs" (store.ts) costs nothing; it
  -- was a scan of every credential (3.4 s at a million people). Under plaintext storage it holds one entry per PIN.
  CREATE INDEX credentials_readable_pins ON credentials (credential_type_id) WHERE credential_type_id = 6 AND value IS NOT NULL;
  `,
];
