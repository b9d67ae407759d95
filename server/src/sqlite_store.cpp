// SQLite implementation of Store: WAL journal, synchronous=FULL (an acknowledged message survives
// a crash of the process or of the machine), prepared statements cached for the connection's life.
#include <sqlite3.h>

#include <map>
#include <string>

#include "gchat/server/store.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

// Schema migrations, applied in order; PRAGMA user_version records how many ran.
const char* const kMigrations[] = {
    R"sql(
    CREATE TABLE devices (
      id          INTEGER PRIMARY KEY,
      public_key  BLOB NOT NULL UNIQUE,
      user_ref    INTEGER,               -- set once certificates arrive
      created_ms  INTEGER NOT NULL,
      revoked_ms  INTEGER
    );
    CREATE TABLE groups (
      id          INTEGER PRIMARY KEY,
      group_id    BLOB NOT NULL UNIQUE,
      last_seq    INTEGER NOT NULL DEFAULT 0,
      level       INTEGER NOT NULL DEFAULT 0,   -- classification, enforced once certificates arrive
      created_by  INTEGER NOT NULL REFERENCES devices(id),
      created_ms  INTEGER NOT NULL
    );
    CREATE TABLE group_members (
      group_ref   INTEGER NOT NULL REFERENCES groups(id),
      device_ref  INTEGER NOT NULL REFERENCES devices(id),
      acked_seq   INTEGER NOT NULL,
      joined_seq  INTEGER NOT NULL,
      PRIMARY KEY (group_ref, device_ref)
    ) WITHOUT ROWID;
    CREATE INDEX group_members_by_device ON group_members(device_ref);
    CREATE TABLE messages (
      group_ref   INTEGER NOT NULL REFERENCES groups(id),
      seq         INTEGER NOT NULL,
      kind        INTEGER NOT NULL,
      sender_ref  INTEGER NOT NULL REFERENCES devices(id),
      payload     BLOB NOT NULL,
      created_ms  INTEGER NOT NULL,
      PRIMARY KEY (group_ref, seq)
    );
    CREATE INDEX messages_by_time ON messages(created_ms);
    CREATE TABLE key_packages (
      id          INTEGER PRIMARY KEY,
      device_ref  INTEGER NOT NULL REFERENCES devices(id),
      data        BLOB NOT NULL,
      last_resort INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX key_packages_by_device ON key_packages(device_ref, last_resort);
    )sql",
    // 2: identities from certificate chains, revocation lists, administrative acts, audit log.
    R"sql(
    CREATE TABLE device_identities (
      device_ref  INTEGER PRIMARY KEY REFERENCES devices(id),
      agency_id   TEXT NOT NULL,
      user_id     TEXT NOT NULL,
      clearance   INTEGER NOT NULL,
      user_serial INTEGER NOT NULL,
      updated_ms  INTEGER NOT NULL
    );
    CREATE INDEX device_identities_by_user ON device_identities(agency_id, user_id);
    CREATE TABLE revocation_lists (
      number      INTEGER PRIMARY KEY,
      list        BLOB NOT NULL             -- gchat.identity.v1.Signed, signed by the relay
    );
    CREATE TABLE admin_acts (
      act_id      BLOB PRIMARY KEY,
      applied_ms  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE audit_log (
      seq         INTEGER PRIMARY KEY,
      entry       BLOB NOT NULL,            -- canonical gchat.identity.v1.AuditEntry
      hash        BLOB NOT NULL
    );
    CREATE TABLE audit_checkpoints (
      seq         INTEGER PRIMARY KEY,
      checkpoint  BLOB NOT NULL             -- gchat.identity.v1.Signed AuditCheckpoint
    );
    CREATE TABLE enrolments (
      code_hash    BLOB PRIMARY KEY,
      agency_id    TEXT NOT NULL,
      admin_id     TEXT NOT NULL,
      grant_data   BLOB NOT NULL,
      expires_at   INTEGER NOT NULL,
      identity_key BLOB,
      redeemed_ms  INTEGER,
      certificate  BLOB,
      issuer_chain BLOB
    ) WITHOUT ROWID;
    CREATE INDEX enrolments_by_agency ON enrolments(agency_id, redeemed_ms);
    CREATE TABLE user_certificates (
      agency_id    TEXT NOT NULL,
      user_id      TEXT NOT NULL,
      serial       INTEGER NOT NULL,
      certificate  BLOB NOT NULL,
      stored_ms    INTEGER NOT NULL,
      UNIQUE (agency_id, user_id, serial)
    );
    CREATE TABLE group_states (
      group_ref   INTEGER PRIMARY KEY REFERENCES groups(id),
      epoch       INTEGER NOT NULL,
      state       BLOB NOT NULL             -- the public MLS state (mls::PublicGroup), no secrets
    );
    )sql",
    // 3: broadcast channels, subscriptions, devices' channel keys and the wrapped channel keys.
    R"sql(
    CREATE TABLE channels (
      id           INTEGER PRIMARY KEY,
      channel_id   BLOB NOT NULL UNIQUE,
      agency_id    TEXT NOT NULL,
      level        INTEGER NOT NULL,
      version      INTEGER NOT NULL,
      descriptor   BLOB NOT NULL,             -- Signed ChannelDescriptor
      admin_chain  BLOB NOT NULL,
      stream_ref   INTEGER REFERENCES groups(id),
      rekey_above  INTEGER NOT NULL DEFAULT -1,
      created_ms   INTEGER NOT NULL
    );
    CREATE INDEX channels_by_stream ON channels(stream_ref);
    CREATE TABLE channel_subscriptions (
      channel_ref  INTEGER NOT NULL REFERENCES channels(id),
      agency_id    TEXT NOT NULL,
      user_id      TEXT NOT NULL,
      since_ms     INTEGER NOT NULL,
      PRIMARY KEY (channel_ref, agency_id, user_id)
    ) WITHOUT ROWID;
    CREATE INDEX channel_subscriptions_by_user ON channel_subscriptions(agency_id, user_id);
    CREATE TABLE channel_agency_subscriptions (  -- standing: people of the agency cleared later join too
      channel_ref  INTEGER NOT NULL REFERENCES channels(id),
      agency_id    TEXT NOT NULL,
      since_ms     INTEGER NOT NULL,
      PRIMARY KEY (agency_id, channel_ref)
    ) WITHOUT ROWID;
    CREATE TABLE channel_opt_outs (              -- people who unsubscribed themselves
      channel_ref  INTEGER NOT NULL REFERENCES channels(id),
      agency_id    TEXT NOT NULL,
      user_id      TEXT NOT NULL,
      PRIMARY KEY (channel_ref, agency_id, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE channel_device_keys (
      device_ref   INTEGER PRIMARY KEY REFERENCES devices(id),
      registration BLOB NOT NULL,             -- Signed ChannelKeyRegistration
      chain        BLOB NOT NULL
    );
    CREATE TABLE channel_keys (
      channel_ref  INTEGER NOT NULL REFERENCES channels(id),
      device_ref   INTEGER NOT NULL REFERENCES devices(id),
      generation   INTEGER NOT NULL,
      wrapped      BLOB NOT NULL,             -- WrappedChannelKey (HPKE), opaque to the relay
      created_ms   INTEGER NOT NULL,
      PRIMARY KEY (channel_ref, device_ref, generation)
    ) WITHOUT ROWID;
    )sql",
    // 4: the people directory: each device's chain and certified names.
    R"sql(
    ALTER TABLE device_identities ADD COLUMN chain BLOB;
    ALTER TABLE device_identities ADD COLUMN name_th TEXT;
    ALTER TABLE device_identities ADD COLUMN name_en TEXT;
    )sql",
    // 5: a trigram index of the directory's user ids and names (rowid = device_ref), so that a
    // substring query reads a few index pages instead of scanning every device.
    R"sql(
    CREATE VIRTUAL TABLE people_index USING fts5(text, tokenize = 'trigram');
    INSERT INTO people_index(rowid, text)
      SELECT device_ref, CAST(user_id AS TEXT) || ' ' || CAST(name_th AS TEXT) || ' ' || CAST(name_en AS TEXT)
      FROM device_identities WHERE chain IS NOT NULL;
    )sql",
    // 6: the certificate registry: each person's current user certificate (served for its identity
    // key), each administrator's newest chain per key, and when each device last authenticated.
    R"sql(
    CREATE TABLE current_certificates (
      id            INTEGER PRIMARY KEY,
      agency_id     TEXT NOT NULL,
      user_id       TEXT NOT NULL,
      identity_key  BLOB NOT NULL,
      serial        INTEGER NOT NULL,
      not_before    INTEGER NOT NULL,
      not_after     INTEGER NOT NULL,
      admin_id      TEXT NOT NULL,
      admin_key     BLOB NOT NULL,
      certificate   BLOB NOT NULL,             -- Signed UserCertificate
      issuer_chain  BLOB NOT NULL,             -- AdminChain of its signer, as it came with it
      revoked_ms    INTEGER,                   -- the person is revoked
      stored_ms     INTEGER NOT NULL,
      UNIQUE (agency_id, user_id)
    );
    CREATE INDEX current_certificates_by_key ON current_certificates(identity_key);
    CREATE INDEX current_certificates_by_expiry ON current_certificates(not_after) WHERE revoked_ms IS NULL;
    CREATE TABLE admin_chains (
      id               INTEGER PRIMARY KEY,
      agency_id        TEXT NOT NULL,
      admin_id         TEXT NOT NULL,
      admin_key        BLOB NOT NULL,
      admin_not_after  INTEGER NOT NULL,
      not_after        INTEGER NOT NULL,     -- the chain's earliest expiry
      chain            BLOB NOT NULL,        -- AdminChain
      UNIQUE (agency_id, admin_id, admin_key)
    );
    ALTER TABLE devices ADD COLUMN last_seen_ms INTEGER;
    )sql",
};

Errc errc_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL: return Errc::storage_full;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Errc::storage_corrupt;
    case SQLITE_CONSTRAINT: return Errc::already_exists;
    default: return Errc::storage_failure;
  }
}

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() {
    if (stmt_) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  Statement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& bind(int i, BytesView v) {
    // Zero-length blobs must still be blobs, not NULL.
    static const std::uint8_t kEmpty = 0;
    sqlite3_bind_blob(stmt_, i, v.empty() ? &kEmpty : v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  // SQLITE_ROW -> true, SQLITE_DONE -> false.
  Result<bool> step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return fail(errc_for(rc), std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  Status run() {
    GCHAT_TRY(bool row, step());
    (void)row;
    return {};
  }
  // Every row's column 0, as blobs or integers; the first row's, or nothing.
  Result<std::vector<Bytes>> all_blobs() {
    std::vector<Bytes> out;
    for (;;) {
      GCHAT_TRY(bool row, step());
      if (!row) return out;
      out.push_back(blob(0));
    }
  }
  Result<std::vector<std::int64_t>> all_ints() {
    std::vector<std::int64_t> out;
    for (;;) {
      GCHAT_TRY(bool row, step());
      if (!row) return out;
      out.push_back(i64(0));
    }
  }
  Result<std::optional<Bytes>> first_blob() {
    GCHAT_TRY(bool row, step());
    if (!row) return std::optional<Bytes>{};
    return std::optional<Bytes>(blob(0));
  }
  std::int64_t i64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string{};
  }
  Bytes blob(int col) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
    const int n = sqlite3_column_bytes(stmt_, col);
    return p ? Bytes(p, p + n) : Bytes{};
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }

  Status exec(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return fail(errc_for(rc), "sqlite: " + msg);
    }
    return {};
  }

  Result<Statement> prepare(const char* sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* stmt = nullptr;
      const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return fail(errc_for(rc), std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
      it = cache_.emplace(sql, stmt).first;
    }
    return Result<Statement>(Statement(db_, it->second));
  }

  Status migrate() {
    GCHAT_TRY_STATUS(exec("PRAGMA journal_mode=WAL"));
    GCHAT_TRY_STATUS(exec("PRAGMA synchronous=FULL"));
    GCHAT_TRY_STATUS(exec("PRAGMA foreign_keys=ON"));
    GCHAT_TRY(auto version_stmt, prepare("PRAGMA user_version"));
    GCHAT_TRY(bool row, version_stmt.step());
    const std::int64_t version = row ? version_stmt.i64(0) : 0;
    const std::int64_t target = static_cast<std::int64_t>(std::size(kMigrations));
    if (version > target) {
      return fail(Errc::storage_corrupt, "database schema version " + std::to_string(version) +
                                             " is newer than this relay (" + std::to_string(target) + ")");
    }
    for (std::int64_t v = version; v < target; ++v) {
      GCHAT_TRY_STATUS(exec("BEGIN IMMEDIATE"));
      auto applied = exec(kMigrations[v]);
      if (applied.ok()) applied = exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
      if (!applied.ok()) {
        rollback();
        return applied;
      }
      GCHAT_TRY_STATUS(exec("COMMIT"));
    }
    return {};
  }

  Status begin() override { return exec("BEGIN IMMEDIATE"); }
  Status commit() override { return exec("COMMIT"); }
  void rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_)) (void)exec("ROLLBACK");
  }
  Status savepoint() override { return exec("SAVEPOINT request"); }
  Status release_savepoint() override { return exec("RELEASE request"); }
  void rollback_to_savepoint() noexcept override {
    (void)exec("ROLLBACK TO request");
    (void)exec("RELEASE request");
  }

  Result<std::optional<DeviceRecord>> find_device(BytesView public_key) override {
    GCHAT_TRY(auto st, prepare("SELECT id FROM devices WHERE public_key = ? AND revoked_ms IS NULL"));
    st.bind(1, public_key);
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<DeviceRecord>{};
    return std::optional<DeviceRecord>(DeviceRecord{st.i64(0), Bytes(public_key.begin(), public_key.end()), false});
  }

  Result<DeviceRecord> register_device(BytesView public_key, std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("INSERT INTO devices(public_key, created_ms) VALUES (?, ?)"));
    st.bind(1, public_key).bind(2, static_cast<std::int64_t>(now_ms));
    GCHAT_TRY_STATUS(st.run());
    return DeviceRecord{sqlite3_last_insert_rowid(db_), Bytes(public_key.begin(), public_key.end()), true};
  }

  Status set_device_identity(DeviceRef device, const DeviceIdentity& id, std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("INSERT INTO device_identities(device_ref, agency_id, user_id, clearance, user_serial, "
                               "updated_ms, chain, name_th, name_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT(device_ref) DO UPDATE SET agency_id = excluded.agency_id, "
                               "user_id = excluded.user_id, clearance = excluded.clearance, "
                               "user_serial = excluded.user_serial, updated_ms = excluded.updated_ms, "
                               "chain = COALESCE(excluded.chain, chain), name_th = COALESCE(excluded.name_th, name_th), "
                               "name_en = COALESCE(excluded.name_en, name_en)"));
    st.bind(1, device).bind(2, as_bytes(id.agency_id)).bind(3, as_bytes(id.user_id)).bind(4, id.clearance);
    st.bind(5, static_cast<std::int64_t>(id.user_serial)).bind(6, static_cast<std::int64_t>(now_ms));
    if (id.chain.empty()) return st.run();  // unbound parameters are NULL: the stored chain and names stay
    st.bind(7, id.chain).bind(8, as_bytes(id.name_th)).bind(9, as_bytes(id.name_en));
    GCHAT_TRY_STATUS(st.run());
    // The directory's index follows the certified names (rewritten only when they change: this runs
    // for every leaf of every commit).
    const std::string text = id.user_id + ' ' + id.name_th + ' ' + id.name_en;
    bool same = false;
    {
      GCHAT_TRY(auto current, prepare("SELECT CAST(text AS BLOB) FROM people_index WHERE rowid = ?"));
      current.bind(1, device);
      GCHAT_TRY(auto indexed, current.first_blob());
      same = indexed && std::equal(indexed->begin(), indexed->end(), text.begin(), text.end());
    }
    if (same) return {};
    GCHAT_TRY(auto drop, prepare("DELETE FROM people_index WHERE rowid = ?"));
    drop.bind(1, device);
    GCHAT_TRY_STATUS(drop.run());
    GCHAT_TRY(auto add, prepare("INSERT INTO people_index(rowid, text) VALUES (?, ?)"));
    add.bind(1, device).bind(2, as_bytes(text));
    return add.run();
  }

  Result<std::vector<Bytes>> find_people(const std::string& agency_id, const std::string& text,
                                         std::uint32_t limit) override {
    // Within one agency (indexed), any part of a user id or name; across agencies, through the
    // trigram index (queries of 3 characters or more: the caller checks). Text columns hold blobs
    // here, and LIKE never matches a blob: hence the casts.
    std::string like = "%";
    for (char c : text) {
      if (c == '%' || c == '_' || c == '\\') like += '\\';
      like += c;
    }
    like += '%';
    std::string phrase = "\"";  // an FTS5 phrase: the text as it is, quotes doubled
    for (char c : text) phrase += c == '"' ? std::string("\"\"") : std::string(1, c);
    phrase += '"';
    const bool by_agency = !agency_id.empty();
    GCHAT_TRY(auto st,
              prepare(by_agency
                          ? "SELECT i.chain FROM device_identities i JOIN devices d ON d.id = i.device_ref "
                            "WHERE d.revoked_ms IS NULL AND i.chain IS NOT NULL AND i.agency_id = ?1 "
                            "AND (CAST(i.user_id AS TEXT) LIKE CAST(?2 AS TEXT) ESCAPE '\\' "
                            "OR CAST(i.name_th AS TEXT) LIKE CAST(?2 AS TEXT) ESCAPE '\\' "
                            "OR CAST(i.name_en AS TEXT) LIKE CAST(?2 AS TEXT) ESCAPE '\\') "
                            "ORDER BY i.user_id, i.device_ref LIMIT ?3"
                          // Bounded before sorting: a query as common as "ser" must not sort a million rows.
                          : "SELECT i.chain FROM device_identities i JOIN devices d ON d.id = i.device_ref "
                            "WHERE d.revoked_ms IS NULL AND i.chain IS NOT NULL AND i.device_ref IN "
                            "(SELECT rowid FROM people_index WHERE people_index MATCH CAST(?2 AS TEXT) LIMIT ?4) "
                            "ORDER BY i.agency_id, i.user_id, i.device_ref LIMIT ?3"));
    if (by_agency) {
      st.bind(1, as_bytes(agency_id)).bind(2, as_bytes(like)).bind(3, static_cast<std::int64_t>(limit));
    } else {
      st.bind(2, as_bytes(phrase)).bind(3, static_cast<std::int64_t>(limit));
      st.bind(4, static_cast<std::int64_t>(limit) * 10);
    }
    return st.all_blobs();
  }

  Result<std::optional<std::pair<DeviceRef, DeviceIdentity>>> device_identity(BytesView public_key) override {
    GCHAT_TRY(auto st, prepare("SELECT d.id, i.agency_id, i.user_id, i.clearance, i.user_serial, i.chain FROM devices d "
                               "JOIN device_identities i ON i.device_ref = d.id WHERE d.public_key = ?"));
    st.bind(1, public_key);
    GCHAT_TRY(bool row, st.step());
    using Found = std::optional<std::pair<DeviceRef, DeviceIdentity>>;
    if (!row) return Found{};
    DeviceIdentity id;
    id.agency_id = st.text(1);
    id.user_id = st.text(2);
    id.clearance = static_cast<std::int32_t>(st.i64(3));
    id.user_serial = static_cast<std::uint64_t>(st.i64(4));
    id.chain = st.blob(5);
    return Found(std::pair{st.i64(0), std::move(id)});
  }

  Result<std::vector<DeviceRef>> devices_of_user(const std::string& agency_id, const std::string& user_id) override {
    GCHAT_TRY(auto st, prepare("SELECT device_ref FROM device_identities WHERE agency_id = ? AND user_id = ?"));
    st.bind(1, as_bytes(agency_id)).bind(2, as_bytes(user_id));
    return st.all_ints();
  }

  Result<std::vector<PersonDeviceRecord>> devices_of_person(const std::string& agency_id,
                                                            const std::string& user_id,
                                                            std::uint32_t limit) override {
    GCHAT_TRY(
        auto st,
        prepare("SELECT d.id, d.public_key, i.chain, d.created_ms, IFNULL(d.last_seen_ms, 0), "
                "d.revoked_ms IS NOT NULL FROM device_identities i JOIN devices d ON d.id = i.device_ref "
                "WHERE i.agency_id = ? AND i.user_id = ? ORDER BY d.id LIMIT ?"));
    st.bind(1, as_bytes(agency_id)).bind(2, as_bytes(user_id)).bind(3, static_cast<std::int64_t>(limit));
    std::vector<PersonDeviceRecord> out;
    for (;;) {
      GCHAT_TRY(bool row, st.step());
      if (!row) return out;
      out.push_back(PersonDeviceRecord{st.i64(0), st.blob(1), st.blob(2),
                                       static_cast<std::uint64_t>(st.i64(3)),
                                       static_cast<std::uint64_t>(st.i64(4)), st.i64(5) != 0});
    }
  }

  Status note_device_seen(DeviceRef device, std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("UPDATE devices SET last_seen_ms = ? WHERE id = ?"));
    st.bind(1, static_cast<std::int64_t>(now_ms)).bind(2, device);
    return st.run();
  }

  Status mark_device_revoked(DeviceRef device, std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("UPDATE devices SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL"));
    st.bind(1, static_cast<std::int64_t>(now_ms)).bind(2, device);
    return st.run();
  }

  Result<Bytes> device_key(DeviceRef device) override {
    GCHAT_TRY(auto st, prepare("SELECT public_key FROM devices WHERE id = ?"));
    st.bind(1, device);
    GCHAT_TRY(bool row, st.step());
    if (!row) return fail(Errc::not_found, "no device " + std::to_string(device));
    return st.blob(0);
  }

  Result<std::optional<Bytes>> latest_revocation_list() override {
    GCHAT_TRY(auto st, prepare("SELECT list FROM revocation_lists ORDER BY number DESC LIMIT 1"));
    return st.first_blob();
  }

  Status save_revocation_list(std::uint64_t number, BytesView signed_list) override {
    GCHAT_TRY(auto st, prepare("INSERT INTO revocation_lists(number, list) VALUES (?, ?)"));
    st.bind(1, static_cast<std::int64_t>(number)).bind(2, signed_list);
    return st.run();
  }

  Result<bool> claim_admin_act(BytesView act_id, std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("INSERT OR IGNORE INTO admin_acts(act_id, applied_ms) VALUES (?, ?)"));
    st.bind(1, act_id).bind(2, static_cast<std::int64_t>(now_ms));
    GCHAT_TRY_STATUS(st.run());
    return sqlite3_changes(db_) == 1;
  }

  Status add_enrolment(const EnrolmentRecord& r) override {
    GCHAT_TRY(auto st, prepare("INSERT INTO enrolments(code_hash, agency_id, admin_id, grant_data, expires_at) "
                               "VALUES (?, ?, ?, ?, ?)"));
    st.bind(1, r.code_hash).bind(2, as_bytes(r.agency_id)).bind(3, as_bytes(r.admin_id)).bind(4, r.grant);
    st.bind(5, r.expires_at);
    return st.run();
  }

  // The columns enrolment_from() reads, in its order.
  static constexpr const char* kSelectEnrolments =
      "SELECT code_hash, agency_id, admin_id, grant_data, expires_at, identity_key, redeemed_ms, certificate, "
      "issuer_chain FROM enrolments ";
  static EnrolmentRecord enrolment_from(const Statement& st) {
    EnrolmentRecord r;
    r.code_hash = st.blob(0);
    r.agency_id = st.text(1);
    r.admin_id = st.text(2);
    r.grant = st.blob(3);
    r.expires_at = st.i64(4);
    r.identity_key = st.blob(5);
    r.redeemed_ms = st.i64(6);
    r.certificate = st.blob(7);
    r.issuer_chain = st.blob(8);
    return r;
  }

  Result<std::optional<EnrolmentRecord>> find_enrolment(BytesView code_hash) override {
    static const std::string sql = std::string(kSelectEnrolments) + "WHERE code_hash = ?";
    GCHAT_TRY(auto st, prepare(sql.c_str()));
    st.bind(1, code_hash);
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<EnrolmentRecord>{};
    return std::optional<EnrolmentRecord>(enrolment_from(st));
  }

  Status redeem_enrolment(BytesView code_hash, BytesView identity_key, std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("UPDATE enrolments SET identity_key = ?, redeemed_ms = ? "
                               "WHERE code_hash = ? AND redeemed_ms IS NULL"));
    st.bind(1, identity_key).bind(2, static_cast<std::int64_t>(now_ms)).bind(3, code_hash);
    GCHAT_TRY_STATUS(st.run());
    if (sqlite3_changes(db_) != 1) return fail(Errc::enrolment_refused, "the code was already redeemed");
    return {};
  }

  Result<std::vector<EnrolmentRecord>> pending_enrolments(const std::string& agency_id) override {
    static const std::string sql =
        std::string(kSelectEnrolments) + "WHERE agency_id = ? AND redeemed_ms IS NOT NULL AND certificate IS NULL";
    GCHAT_TRY(auto st, prepare(sql.c_str()));
    st.bind(1, as_bytes(agency_id));
    std::vector<EnrolmentRecord> out;
    for (;;) {
      GCHAT_TRY(bool row, st.step());
      if (!row) break;
      out.push_back(enrolment_from(st));
    }
    return out;
  }

  Status complete_enrolment(BytesView code_hash, BytesView certificate, BytesView issuer_chain) override {
    GCHAT_TRY(auto st, prepare("UPDATE enrolments SET certificate = ?, issuer_chain = ? "
                               "WHERE code_hash = ? AND certificate IS NULL"));
    st.bind(1, certificate).bind(2, issuer_chain).bind(3, code_hash);
    GCHAT_TRY_STATUS(st.run());
    if (sqlite3_changes(db_) != 1) return fail(Errc::enrolment_refused, "the enrolment was already completed");
    return {};
  }

  Status save_user_certificate(const std::string& agency_id, const std::string& user_id, std::uint64_t serial,
                               BytesView certificate) override {
    GCHAT_TRY(auto st, prepare("INSERT OR IGNORE INTO user_certificates(agency_id, user_id, serial, certificate, "
                               "stored_ms) VALUES (?, ?, ?, ?, ?)"));
    st.bind(1, as_bytes(agency_id)).bind(2, as_bytes(user_id)).bind(3, static_cast<std::int64_t>(serial));
    st.bind(4, certificate).bind(5, static_cast<std::int64_t>(wire::now_ms()));
    return st.run();
  }

  Result<std::vector<UserSummary>> users_of_agency(const std::string& agency_id) override {
    GCHAT_TRY(
        auto st,
        prepare("SELECT i.user_id, MIN(i.clearance), COUNT(*), COUNT(d.revoked_ms), "
                "IFNULL(MAX(c.not_after), 0), IFNULL(MAX(c.serial), 0), MAX(c.revoked_ms IS NOT NULL) "
                "FROM device_identities i JOIN devices d ON d.id = i.device_ref "
                "LEFT JOIN current_certificates c ON c.agency_id = i.agency_id AND c.user_id = i.user_id "
                "WHERE i.agency_id = ? GROUP BY i.user_id ORDER BY i.user_id"));
    st.bind(1, as_bytes(agency_id));
    std::vector<UserSummary> out;
    for (;;) {
      GCHAT_TRY(bool row, st.step());
      if (!row) break;
      out.push_back(UserSummary{st.text(0), static_cast<std::int32_t>(st.i64(1)),
                                static_cast<std::uint32_t>(st.i64(2)), static_cast<std::uint32_t>(st.i64(3)),
                                st.i64(4), static_cast<std::uint64_t>(st.i64(5)), st.i64(6) != 0});
    }
    return out;
  }

  // --- the certificate registry

  Status put_user_certificate(const UserCertificateRecord& r, std::uint64_t now_ms) override {
    GCHAT_TRY(
        auto st,
        prepare("INSERT INTO current_certificates(agency_id, user_id, identity_key, serial, not_before, "
                "not_after, admin_id, admin_key, certificate, issuer_chain, stored_ms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(agency_id, user_id) DO UPDATE SET "
                "identity_key = excluded.identity_key, serial = excluded.serial, "
                "not_before = excluded.not_before, not_after = excluded.not_after, "
                "admin_id = excluded.admin_id, admin_key = excluded.admin_key, "
                "certificate = excluded.certificate, issuer_chain = excluded.issuer_chain, "
                "stored_ms = excluded.stored_ms"));
    st.bind(1, as_bytes(r.agency_id)).bind(2, as_bytes(r.user_id)).bind(3, r.identity_key);
    st.bind(4, static_cast<std::int64_t>(r.serial)).bind(5, r.not_before).bind(6, r.not_after);
    st.bind(7, as_bytes(r.admin_id)).bind(8, r.admin_key).bind(9, r.certificate).bind(10, r.issuer_chain);
    st.bind(11, static_cast<std::int64_t>(now_ms));
    return st.run();
  }

  // The columns certificate_from() reads, in its order.
  static constexpr const char* kSelectCertificates =
      "SELECT agency_id, user_id, identity_key, serial, not_before, not_after, admin_id, admin_key, "
      "certificate, "
      "issuer_chain, revoked_ms IS NOT NULL FROM current_certificates ";
  static UserCertificateRecord certificate_from(const Statement& st) {
    UserCertificateRecord r;
    r.agency_id = st.text(0);
    r.user_id = st.text(1);
    r.identity_key = st.blob(2);
    r.serial = static_cast<std::uint64_t>(st.i64(3));
    r.not_before = st.i64(4);
    r.not_after = st.i64(5);
    r.admin_id = st.text(6);
    r.admin_key = st.blob(7);
    r.certificate = st.blob(8);
    r.issuer_chain = st.blob(9);
    r.revoked = st.i64(10) != 0;
    return r;
  }
  Result<std::optional<UserCertificateRecord>> one_certificate(Statement& st) {
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<UserCertificateRecord>{};
    return std::optional<UserCertificateRecord>(certificate_from(st));
  }

  Result<std::optional<UserCertificateRecord>> current_user_certificate(const std::string& agency_id,
                                                                        const std::string& user_id) override {
    static const std::string sql = std::string(kSelectCertificates) + "WHERE agency_id = ? AND user_id = ?";
    GCHAT_TRY(auto st, prepare(sql.c_str()));
    st.bind(1, as_bytes(agency_id)).bind(2, as_bytes(user_id));
    return one_certificate(st);
  }

  Result<std::optional<UserCertificateRecord>> current_certificate_for_key(BytesView identity_key) override {
    static const std::string sql =
        std::string(kSelectCertificates) + "WHERE identity_key = ? ORDER BY not_after DESC, id DESC LIMIT 1";
    GCHAT_TRY(auto st, prepare(sql.c_str()));
    st.bind(1, identity_key);
    return one_certificate(st);
  }

  Status mark_user_revoked(const std::string& agency_id, const std::string& user_id,
                           std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("UPDATE current_certificates SET revoked_ms = ? "
                               "WHERE agency_id = ? AND user_id = ? AND revoked_ms IS NULL"));
    st.bind(1, static_cast<std::int64_t>(now_ms)).bind(2, as_bytes(agency_id)).bind(3, as_bytes(user_id));
    return st.run();
  }

  Result<bool> put_admin_chain(const AdminChainRecord& r) override {
    GCHAT_TRY(
        auto st,
        prepare("INSERT INTO admin_chains(agency_id, admin_id, admin_key, admin_not_after, not_after, "
                "chain) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(agency_id, admin_id, admin_key) DO UPDATE "
                "SET admin_not_after = excluded.admin_not_after, not_after = excluded.not_after, "
                "chain = excluded.chain WHERE excluded.admin_not_after > admin_chains.admin_not_after"));
    st.bind(1, as_bytes(r.agency_id)).bind(2, as_bytes(r.admin_id)).bind(3, r.admin_key);
    st.bind(4, r.admin_not_after).bind(5, r.not_after).bind(6, r.chain);
    GCHAT_TRY_STATUS(st.run());
    return sqlite3_changes(db_) > 0;
  }

  Result<std::optional<Bytes>> admin_chain(const std::string& agency_id, const std::string& admin_id,
                                           BytesView admin_key) override {
    GCHAT_TRY(
        auto st,
        prepare("SELECT chain FROM admin_chains WHERE agency_id = ? AND admin_id = ? AND admin_key = ?"));
    st.bind(1, as_bytes(agency_id)).bind(2, as_bytes(admin_id)).bind(3, admin_key);
    return st.first_blob();
  }

  Result<ExpiryCounts> count_expiring(std::int64_t now, std::int64_t until) override {
    // People: a range of the partial expiry index, however many people there are. Administrators
    // are few; each counts once, by the chain that lasts longest.
    ExpiryCounts out;
    GCHAT_TRY(auto users, prepare("SELECT COUNT(*) FROM current_certificates "
                                  "WHERE revoked_ms IS NULL AND not_after > ? AND not_after <= ?"));
    users.bind(1, now).bind(2, until);
    GCHAT_TRY(bool row, users.step());
    if (row) out.users = static_cast<std::uint64_t>(users.i64(0));
    GCHAT_TRY(auto admins, prepare("SELECT COUNT(*) FROM (SELECT MAX(not_after) AS last FROM admin_chains "
                                   "GROUP BY agency_id, admin_id) WHERE last > ? AND last <= ?"));
    admins.bind(1, now).bind(2, until);
    GCHAT_TRY(row, admins.step());
    if (row) out.admin_chains = static_cast<std::uint64_t>(admins.i64(0));
    return out;
  }

  Result<std::optional<AuditRow>> last_audit_entry() override {
    GCHAT_TRY(auto st, prepare("SELECT seq, entry, hash FROM audit_log ORDER BY seq DESC LIMIT 1"));
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<AuditRow>{};
    return std::optional<AuditRow>(AuditRow{static_cast<std::uint64_t>(st.i64(0)), st.blob(1), st.blob(2)});
  }

  Status append_audit_entry(const AuditRow& row) override {
    GCHAT_TRY(auto st, prepare("INSERT INTO audit_log(seq, entry, hash) VALUES (?, ?, ?)"));
    st.bind(1, static_cast<std::int64_t>(row.seq)).bind(2, row.entry).bind(3, row.hash);
    return st.run();
  }

  Status add_audit_checkpoint(std::uint64_t seq, BytesView signed_checkpoint) override {
    GCHAT_TRY(auto st, prepare("INSERT OR REPLACE INTO audit_checkpoints(seq, checkpoint) VALUES (?, ?)"));
    st.bind(1, static_cast<std::int64_t>(seq)).bind(2, signed_checkpoint);
    return st.run();
  }

  Result<std::vector<AuditRow>> read_audit_log() override {
    GCHAT_TRY(auto st, prepare("SELECT seq, entry, hash FROM audit_log ORDER BY seq"));
    std::vector<AuditRow> out;
    for (;;) {
      GCHAT_TRY(bool row, st.step());
      if (!row) break;
      out.push_back(AuditRow{static_cast<std::uint64_t>(st.i64(0)), st.blob(1), st.blob(2)});
    }
    return out;
  }

  Result<std::vector<Bytes>> read_audit_checkpoints() override {
    GCHAT_TRY(auto st, prepare("SELECT checkpoint FROM audit_checkpoints ORDER BY seq"));
    return st.all_blobs();
  }

  Result<std::optional<Bytes>> group_state(GroupRef group) override {
    GCHAT_TRY(auto st, prepare("SELECT state FROM group_states WHERE group_ref = ?"));
    st.bind(1, group);
    return st.first_blob();
  }

  Status set_group_state(GroupRef group, std::uint64_t epoch, BytesView state, std::int32_t level) override {
    GCHAT_TRY(auto st, prepare("INSERT OR REPLACE INTO group_states(group_ref, epoch, state) VALUES (?, ?, ?)"));
    st.bind(1, group).bind(2, static_cast<std::int64_t>(epoch)).bind(3, state);
    GCHAT_TRY_STATUS(st.run());
    GCHAT_TRY(auto lv, prepare("UPDATE groups SET level = ? WHERE id = ?"));
    lv.bind(1, level).bind(2, group);
    return lv.run();
  }

  // --- channels

  static ChannelRecord channel_row(const Statement& st) {
    ChannelRecord c;
    c.ref = st.i64(0);
    c.channel_id = st.blob(1);
    c.agency_id = st.text(2);
    c.level = static_cast<std::int32_t>(st.i64(3));
    c.version = static_cast<std::uint64_t>(st.i64(4));
    c.descriptor = st.blob(5);
    c.admin_chain = st.blob(6);
    c.stream = st.i64(7);
    c.rekey_above = st.i64(8);
    return c;
  }
  static constexpr const char* kChannelColumns =
      "SELECT id, channel_id, agency_id, level, version, descriptor, admin_chain, IFNULL(stream_ref, 0), rekey_above "
      "FROM channels ";

  Result<std::optional<ChannelRecord>> one_channel(Statement& st) {
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<ChannelRecord>{};
    return std::optional<ChannelRecord>(channel_row(st));
  }

  Result<ChannelRef> put_channel(const ChannelRecord& c) override {
    GCHAT_TRY(auto st, prepare(
                           "INSERT INTO channels(channel_id, agency_id, level, version, descriptor, admin_chain, created_ms) "
                           "VALUES (?, ?, ?, ?, ?, ?, CAST(strftime('%s','now') AS INTEGER) * 1000) "
                           "ON CONFLICT(channel_id) DO UPDATE SET level = excluded.level, version = excluded.version, "
                           "descriptor = excluded.descriptor, admin_chain = excluded.admin_chain"));
    st.bind(1, c.channel_id).bind(2, as_bytes(c.agency_id)).bind(3, c.level);
    st.bind(4, static_cast<std::int64_t>(c.version)).bind(5, c.descriptor).bind(6, c.admin_chain);
    GCHAT_TRY_STATUS(st.run());
    GCHAT_TRY(auto found, find_channel(c.channel_id));
    if (!found) return fail(Errc::storage_failure, "a channel just stored is not there");
    return found->ref;
  }

  Result<std::optional<ChannelRecord>> find_channel(BytesView channel_id) override {
    static const std::string sql = std::string(kChannelColumns) + "WHERE channel_id = ?";
    GCHAT_TRY(auto st, prepare(sql.c_str()));
    st.bind(1, channel_id);
    return one_channel(st);
  }

  Result<std::optional<ChannelRecord>> channel_by_ref(ChannelRef channel) override {
    static const std::string sql = std::string(kChannelColumns) + "WHERE id = ?";
    GCHAT_TRY(auto st, prepare(sql.c_str()));
    st.bind(1, channel);
    return one_channel(st);
  }

  Result<std::optional<ChannelRecord>> channel_of_stream(GroupRef stream) override {
    static const std::string sql = std::string(kChannelColumns) + "WHERE stream_ref = ?";
    GCHAT_TRY(auto st, prepare(sql.c_str()));
    st.bind(1, stream);
    return one_channel(st);
  }

  Result<std::vector<ChannelRecord>> all_channels() override {
    static const std::string sql = std::string(kChannelColumns) + "ORDER BY id";
    GCHAT_TRY(auto st, prepare(sql.c_str()));
    std::vector<ChannelRecord> out;
    for (;;) {
      GCHAT_TRY(bool row, st.step());
      if (!row) return out;
      out.push_back(channel_row(st));
    }
  }

  Status set_channel_stream(ChannelRef channel, GroupRef stream) override {
    GCHAT_TRY(auto st, prepare("UPDATE channels SET stream_ref = ? WHERE id = ?"));
    st.bind(1, stream).bind(2, channel);
    return st.run();
  }

  Status set_channel_rekey_above(ChannelRef channel, std::int64_t generation) override {
    GCHAT_TRY(auto st, prepare("UPDATE channels SET rekey_above = MAX(rekey_above, ?) WHERE id = ?"));
    st.bind(1, generation).bind(2, channel);
    return st.run();
  }

  Result<bool> add_subscription(ChannelRef channel, const std::string& agency_id, const std::string& user_id,
                                std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("INSERT OR IGNORE INTO channel_subscriptions(channel_ref, agency_id, user_id, since_ms) "
                               "VALUES (?, ?, ?, ?)"));
    st.bind(1, channel).bind(2, as_bytes(agency_id)).bind(3, as_bytes(user_id)).bind(4, static_cast<std::int64_t>(now_ms));
    GCHAT_TRY_STATUS(st.run());
    return sqlite3_changes(db_) > 0;
  }

  Result<bool> remove_subscription(ChannelRef channel, const std::string& agency_id, const std::string& user_id) override {
    GCHAT_TRY(auto st, prepare("DELETE FROM channel_subscriptions WHERE channel_ref = ? AND agency_id = ? AND user_id = ?"));
    st.bind(1, channel).bind(2, as_bytes(agency_id)).bind(3, as_bytes(user_id));
    GCHAT_TRY_STATUS(st.run());
    return sqlite3_changes(db_) > 0;
  }

  Result<bool> is_subscribed(ChannelRef channel, const std::string& agency_id, const std::string& user_id) override {
    GCHAT_TRY(auto st, prepare("SELECT 1 FROM channel_subscriptions WHERE channel_ref = ? AND agency_id = ? AND user_id = ?"));
    st.bind(1, channel).bind(2, as_bytes(agency_id)).bind(3, as_bytes(user_id));
    return st.step();
  }

  Result<std::uint32_t> subscriber_count(ChannelRef channel) override {
    return count_of("SELECT COUNT(*) FROM channel_subscriptions WHERE channel_ref = ?", channel);
  }

  // A COUNT(*) query with one integer parameter.
  Result<std::uint32_t> count_of(const char* sql, std::int64_t key) {
    GCHAT_TRY(auto st, prepare(sql));
    st.bind(1, key);
    GCHAT_TRY(bool row, st.step());
    return row ? static_cast<std::uint32_t>(st.i64(0)) : 0U;
  }

  Result<std::vector<ChannelRef>> subscriptions_of(const std::string& agency_id, const std::string& user_id) override {
    GCHAT_TRY(auto st, prepare("SELECT channel_ref FROM channel_subscriptions WHERE agency_id = ? AND user_id = ?"));
    st.bind(1, as_bytes(agency_id)).bind(2, as_bytes(user_id));
    return st.all_ints();
  }

  Status add_agency_subscription(ChannelRef channel, const std::string& agency_id, std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("INSERT OR IGNORE INTO channel_agency_subscriptions(channel_ref, agency_id, since_ms) "
                               "VALUES (?, ?, ?)"));
    st.bind(1, channel).bind(2, as_bytes(agency_id)).bind(3, static_cast<std::int64_t>(now_ms));
    return st.run();
  }

  Result<std::vector<ChannelRef>> agency_subscriptions(const std::string& agency_id) override {
    GCHAT_TRY(auto st, prepare("SELECT channel_ref FROM channel_agency_subscriptions WHERE agency_id = ?"));
    st.bind(1, as_bytes(agency_id));
    return st.all_ints();
  }

  Status set_opted_out(ChannelRef channel, const std::string& agency_id, const std::string& user_id, bool out) override {
    GCHAT_TRY(auto st, prepare(out ? "INSERT OR IGNORE INTO channel_opt_outs(channel_ref, agency_id, user_id) VALUES (?, ?, ?)"
                                   : "DELETE FROM channel_opt_outs WHERE channel_ref = ? AND agency_id = ? AND user_id = ?"));
    st.bind(1, channel).bind(2, as_bytes(agency_id)).bind(3, as_bytes(user_id));
    return st.run();
  }

  Result<bool> opted_out(ChannelRef channel, const std::string& agency_id, const std::string& user_id) override {
    GCHAT_TRY(auto st, prepare("SELECT 1 FROM channel_opt_outs WHERE channel_ref = ? AND agency_id = ? AND user_id = ?"));
    st.bind(1, channel).bind(2, as_bytes(agency_id)).bind(3, as_bytes(user_id));
    return st.step();
  }

  Status set_channel_device_key(DeviceRef device, BytesView registration, BytesView chain) override {
    GCHAT_TRY(auto st, prepare("INSERT OR REPLACE INTO channel_device_keys(device_ref, registration, chain) VALUES (?, ?, ?)"));
    st.bind(1, device).bind(2, registration).bind(3, chain);
    return st.run();
  }

  Result<std::vector<ChannelSubscriberRecord>> channel_work(ChannelRef channel, GroupRef stream, std::uint64_t generation,
                                                            DeviceRef after, std::uint32_t limit) override {
    GCHAT_TRY(auto st, prepare(
                           "SELECT m.device_ref, d.public_key, k.chain, k.registration FROM group_members m "
                           "JOIN devices d ON d.id = m.device_ref JOIN channel_device_keys k ON k.device_ref = m.device_ref "
                           "WHERE m.group_ref = ? AND m.device_ref > ? AND d.revoked_ms IS NULL AND NOT EXISTS ("
                           "SELECT 1 FROM channel_keys w WHERE w.channel_ref = ? AND w.device_ref = m.device_ref "
                           "AND w.generation = ?) ORDER BY m.device_ref LIMIT ?"));
    st.bind(1, stream).bind(2, after).bind(3, channel).bind(4, static_cast<std::int64_t>(generation));
    st.bind(5, static_cast<std::int64_t>(limit));
    std::vector<ChannelSubscriberRecord> out;
    for (;;) {
      GCHAT_TRY(bool row, st.step());
      if (!row) return out;
      out.push_back(ChannelSubscriberRecord{st.i64(0), st.blob(1), st.blob(2), st.blob(3)});
    }
  }

  Status put_channel_key(ChannelRef channel, std::uint64_t generation, DeviceRef device, BytesView wrapped,
                         std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("INSERT OR IGNORE INTO channel_keys(channel_ref, device_ref, generation, wrapped, created_ms) "
                               "VALUES (?, ?, ?, ?, ?)"));
    st.bind(1, channel).bind(2, device).bind(3, static_cast<std::int64_t>(generation)).bind(4, wrapped);
    st.bind(5, static_cast<std::int64_t>(now_ms));
    return st.run();
  }

  Result<std::optional<Bytes>> channel_key(ChannelRef channel, std::uint64_t generation, DeviceRef device) override {
    GCHAT_TRY(auto st, prepare("SELECT wrapped FROM channel_keys WHERE channel_ref = ? AND device_ref = ? AND generation = ?"));
    st.bind(1, channel).bind(2, device).bind(3, static_cast<std::int64_t>(generation));
    return st.first_blob();
  }

  Result<std::optional<std::uint64_t>> group_epoch(GroupRef group) override {
    GCHAT_TRY(auto st, prepare("SELECT epoch FROM group_states WHERE group_ref = ?"));
    st.bind(1, group);
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<std::uint64_t>{};
    return std::optional<std::uint64_t>(static_cast<std::uint64_t>(st.i64(0)));
  }

  Result<std::optional<std::int32_t>> group_level(GroupRef group) override {
    GCHAT_TRY(auto st, prepare("SELECT g.level FROM groups g JOIN group_states s ON s.group_ref = g.id WHERE g.id = ?"));
    st.bind(1, group);
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<std::int32_t>{};
    return std::optional<std::int32_t>(static_cast<std::int32_t>(st.i64(0)));
  }

  Result<std::vector<GroupRef>> groups_of_device(DeviceRef device) override {
    GCHAT_TRY(auto st, prepare("SELECT group_ref FROM group_members WHERE device_ref = ?"));
    st.bind(1, device);
    return st.all_ints();
  }

  Result<std::optional<Bytes>> group_id_of(GroupRef group) override {
    GCHAT_TRY(auto st, prepare("SELECT group_id FROM groups WHERE id = ?"));
    st.bind(1, group);
    return st.first_blob();
  }

  Result<std::optional<GroupRecord>> find_group(BytesView group_id) override {
    GCHAT_TRY(auto st, prepare("SELECT id, last_seq FROM groups WHERE group_id = ?"));
    st.bind(1, group_id);
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<GroupRecord>{};
    return std::optional<GroupRecord>(
        GroupRecord{st.i64(0), Bytes(group_id.begin(), group_id.end()), static_cast<std::uint64_t>(st.i64(1))});
  }

  Result<GroupRecord> create_group(BytesView group_id, DeviceRef creator, std::uint64_t now_ms) override {
    GCHAT_TRY(auto st, prepare("INSERT INTO groups(group_id, created_by, created_ms) VALUES (?, ?, ?)"));
    st.bind(1, group_id).bind(2, creator).bind(3, static_cast<std::int64_t>(now_ms));
    GCHAT_TRY_STATUS(st.run());
    return GroupRecord{sqlite3_last_insert_rowid(db_), Bytes(group_id.begin(), group_id.end()), 0};
  }

  Status add_member(GroupRef group, DeviceRef device) override {
    GCHAT_TRY(auto st, prepare(
                           "INSERT OR IGNORE INTO group_members(group_ref, device_ref, acked_seq, joined_seq) "
                           "SELECT id, ?, last_seq, last_seq FROM groups WHERE id = ?"));
    st.bind(1, device).bind(2, group);
    return st.run();
  }

  Status remove_member(GroupRef group, DeviceRef device) override {
    GCHAT_TRY(auto st, prepare("DELETE FROM group_members WHERE group_ref = ? AND device_ref = ?"));
    st.bind(1, group).bind(2, device);
    return st.run();
  }

  Result<std::optional<MembershipRecord>> membership(GroupRef group, DeviceRef device) override {
    GCHAT_TRY(auto st, prepare(
                           "SELECT g.group_id, g.last_seq, m.acked_seq, m.joined_seq FROM group_members m "
                           "JOIN groups g ON g.id = m.group_ref WHERE m.group_ref = ? AND m.device_ref = ?"));
    st.bind(1, group).bind(2, device);
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<MembershipRecord>{};
    MembershipRecord m{group, st.blob(0), static_cast<std::uint64_t>(st.i64(1)),
                       static_cast<std::uint64_t>(st.i64(2)), static_cast<std::uint64_t>(st.i64(3)), 0};
    return std::optional<MembershipRecord>(std::move(m));
  }

  Result<std::vector<MembershipRecord>> memberships_of(DeviceRef device) override {
    GCHAT_TRY(auto st, prepare(
                           "SELECT g.id, g.group_id, g.last_seq, m.acked_seq, m.joined_seq, "
                           "(SELECT COUNT(*) FROM group_members c WHERE c.group_ref = g.id) "
                           "FROM group_members m JOIN groups g ON g.id = m.group_ref WHERE m.device_ref = ? "
                           "ORDER BY g.id"));
    st.bind(1, device);
    std::vector<MembershipRecord> out;
    for (;;) {
      GCHAT_TRY(bool row, st.step());
      if (!row) break;
      out.push_back(MembershipRecord{st.i64(0), st.blob(1), static_cast<std::uint64_t>(st.i64(2)),
                                     static_cast<std::uint64_t>(st.i64(3)), static_cast<std::uint64_t>(st.i64(4)),
                                     static_cast<std::uint32_t>(st.i64(5))});
    }
    return out;
  }

  Result<std::vector<DeviceRef>> member_devices(GroupRef group) override {
    GCHAT_TRY(auto st, prepare("SELECT device_ref FROM group_members WHERE group_ref = ?"));
    st.bind(1, group);
    return st.all_ints();
  }

  Result<std::vector<Bytes>> member_keys(GroupRef group) override {
    GCHAT_TRY(auto st, prepare(
                           "SELECT d.public_key FROM group_members m JOIN devices d ON d.id = m.device_ref "
                           "WHERE m.group_ref = ? ORDER BY d.id"));
    st.bind(1, group);
    return st.all_blobs();
  }

  Result<std::uint32_t> member_count(GroupRef group) override {
    return count_of("SELECT COUNT(*) FROM group_members WHERE group_ref = ?", group);
  }

  Result<std::uint64_t> append_message(GroupRef group, std::int32_t kind, DeviceRef sender, BytesView payload,
                                       std::uint64_t now_ms) override {
    GCHAT_TRY(auto bump, prepare("UPDATE groups SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq"));
    bump.bind(1, group);
    GCHAT_TRY(bool row, bump.step());
    if (!row) return fail(Errc::not_found, "group vanished");
    const auto seq = bump.i64(0);
    GCHAT_TRY_STATUS(bump.step());  // finish the statement
    GCHAT_TRY(auto ins, prepare(
                            "INSERT INTO messages(group_ref, seq, kind, sender_ref, payload, created_ms) "
                            "VALUES (?, ?, ?, ?, ?, ?)"));
    ins.bind(1, group).bind(2, seq).bind(3, kind).bind(4, sender).bind(5, payload).bind(6,
                                                                                        static_cast<std::int64_t>(now_ms));
    GCHAT_TRY_STATUS(ins.run());
    return static_cast<std::uint64_t>(seq);
  }

  Status set_acked(GroupRef group, DeviceRef device, std::uint64_t seq) override {
    // The cursor only moves forward.
    GCHAT_TRY(auto st, prepare(
                           "UPDATE group_members SET acked_seq = ? WHERE group_ref = ? AND device_ref = ? "
                           "AND acked_seq < ?"));
    st.bind(1, static_cast<std::int64_t>(seq)).bind(2, group).bind(3, device).bind(4, static_cast<std::int64_t>(seq));
    return st.run();
  }

  Result<std::vector<StoredMessage>> read_messages(GroupRef group, std::uint64_t after_seq, std::uint32_t limit,
                                                   std::uint64_t max_bytes) override {
    GCHAT_TRY(auto st, prepare(
                           "SELECT m.seq, m.kind, d.public_key, m.payload, m.created_ms FROM messages m "
                           "JOIN devices d ON d.id = m.sender_ref WHERE m.group_ref = ? AND m.seq > ? "
                           "ORDER BY m.seq LIMIT ?"));
    st.bind(1, group).bind(2, static_cast<std::int64_t>(after_seq)).bind(3, static_cast<std::int64_t>(limit));
    std::vector<StoredMessage> out;
    std::uint64_t bytes = 0;
    while (bytes < max_bytes) {
      GCHAT_TRY(bool row, st.step());
      if (!row) break;
      out.push_back(StoredMessage{static_cast<std::uint64_t>(st.i64(0)), static_cast<std::int32_t>(st.i64(1)),
                                  st.blob(2), st.blob(3), static_cast<std::uint64_t>(st.i64(4))});
      bytes += out.back().payload.size() + 64;
    }
    return out;
  }

  Result<std::uint64_t> expire_messages(std::uint64_t cutoff_ms) override {
    GCHAT_TRY(auto st, prepare("DELETE FROM messages WHERE created_ms < ?"));
    st.bind(1, static_cast<std::int64_t>(cutoff_ms));
    GCHAT_TRY_STATUS(st.run());
    const auto expired = static_cast<std::uint64_t>(sqlite3_changes(db_));
    // Wrapped channel keys go with the posts they open, once a newer generation replaced them.
    GCHAT_TRY(auto keys, prepare("DELETE FROM channel_keys WHERE created_ms < ? AND EXISTS (SELECT 1 FROM channel_keys n "
                                 "WHERE n.channel_ref = channel_keys.channel_ref AND n.device_ref = channel_keys.device_ref "
                                 "AND n.generation > channel_keys.generation)"));
    keys.bind(1, static_cast<std::int64_t>(cutoff_ms));
    GCHAT_TRY_STATUS(keys.run());
    return expired;
  }

  Result<std::uint32_t> count_key_packages(DeviceRef device) override {
    return count_of("SELECT COUNT(*) FROM key_packages WHERE device_ref = ? AND last_resort = 0", device);
  }

  Status add_key_package(DeviceRef device, BytesView data) override {
    GCHAT_TRY(auto st, prepare("INSERT INTO key_packages(device_ref, data, last_resort) VALUES (?, ?, 0)"));
    st.bind(1, device).bind(2, data);
    return st.run();
  }

  Status set_last_resort_key_package(DeviceRef device, BytesView data) override {
    GCHAT_TRY(auto del, prepare("DELETE FROM key_packages WHERE device_ref = ? AND last_resort = 1"));
    del.bind(1, device);
    GCHAT_TRY_STATUS(del.run());
    GCHAT_TRY(auto st, prepare("INSERT INTO key_packages(device_ref, data, last_resort) VALUES (?, ?, 1)"));
    st.bind(1, device).bind(2, data);
    return st.run();
  }

  Result<std::optional<KeyPackageRecord>> take_key_package(DeviceRef device) override {
    // Oldest one-time package first; the last-resort one only when none is left.
    GCHAT_TRY(auto st, prepare(
                           "SELECT id, data, last_resort FROM key_packages WHERE device_ref = ? "
                           "ORDER BY last_resort, id LIMIT 1"));
    st.bind(1, device);
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<KeyPackageRecord>{};
    const auto id = st.i64(0);
    KeyPackageRecord rec{st.blob(1), st.i64(2) != 0};
    if (!rec.last_resort) {
      GCHAT_TRY(auto del, prepare("DELETE FROM key_packages WHERE id = ?"));
      del.bind(1, id);
      GCHAT_TRY_STATUS(del.run());
    }
    return std::optional<KeyPackageRecord>(std::move(rec));
  }

  Status delete_key_packages(DeviceRef device) override {
    GCHAT_TRY(auto st, prepare("DELETE FROM key_packages WHERE device_ref = ?"));
    st.bind(1, device);
    return st.run();
  }

 private:
  sqlite3* db_;
  std::map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail(Errc::storage_failure, "cannot open database '" + path + "': " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  auto store = std::make_unique<SqliteStore>(db);
  GCHAT_TRY_STATUS(store->migrate());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace gchat::server
