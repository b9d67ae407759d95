#include "gchat/client/store.hpp"

#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace gchat::client {
namespace {

constexpr std::string_view kCheck = "G-Chat local store v1";
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES] = {'g', 'c', 'h', 'a', 't', 'd', 'b', '1'};
constexpr std::size_t kTermBytes = 8;  // 64-bit keyed word hashes in the index

Errc storage_code(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL: return Errc::storage_full;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Errc::storage_corrupt;
    default: return Errc::storage_failure;
  }
}

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) { rc_ = sqlite3_prepare_v2(db, sql, -1, &st_, nullptr); }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, BytesView b) {
    sqlite3_bind_blob(st_, i, b.empty() ? "" : static_cast<const void*>(b.data()), static_cast<int>(b.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& text(int i, std::string_view s) {
    sqlite3_bind_text(st_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(st_, i, v);
    return *this;
  }
  // SQLITE_ROW: true; SQLITE_DONE: false; anything else: an error.
  Result<bool> step() {
    if (rc_ != SQLITE_OK) return fail(storage_code(rc_), std::string("local store: ") + sqlite3_errmsg(db_));
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return fail(storage_code(rc), std::string("local store: ") + sqlite3_errmsg(db_));
  }
  Status run() {
    GCHAT_TRY(bool row, step());
    (void)row;
    return {};
  }
  Bytes blob(int col) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(st_, col));
    return Bytes(p, p + sqlite3_column_bytes(st_, col));
  }
  std::int64_t i64(int col) const { return sqlite3_column_int64(st_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* st_ = nullptr;
  int rc_ = SQLITE_OK;
};

constexpr const char* kSchema = R"(
  CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS groups (
    group_id BLOB PRIMARY KEY, info BLOB NOT NULL, state BLOB NOT NULL, next_seq INTEGER NOT NULL,
    pending_commit BLOB, pending_welcome BLOB, pending_state BLOB);
  CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, group_id BLOB NOT NULL, message_id BLOB NOT NULL UNIQUE,
    seq INTEGER NOT NULL, status INTEGER NOT NULL, outgoing INTEGER NOT NULL, body BLOB NOT NULL,
    ord INTEGER NOT NULL);
  CREATE INDEX IF NOT EXISTS messages_by_group ON messages(group_id, ord);
  CREATE VIRTUAL TABLE IF NOT EXISTS message_index USING fts5(terms, content='', tokenize='ascii');
  CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, group_id BLOB NOT NULL, message_id BLOB NOT NULL,
    envelope BLOB NOT NULL, ciphertext BLOB, epoch INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS key_packages (ref BLOB PRIMARY KEY, bundle BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS buffered (
    group_id BLOB NOT NULL, seq INTEGER NOT NULL, kind INTEGER NOT NULL, sender_key BLOB NOT NULL,
    payload BLOB NOT NULL, time_ms INTEGER NOT NULL, PRIMARY KEY (group_id, seq));
  CREATE TABLE IF NOT EXISTS pending_links (device_key BLOB PRIMARY KEY);
)";

constexpr std::size_t kMaxBufferedPerGroup = 10'000;
// History order: the relay's sequence; messages not placed yet come after, in the order written.
constexpr std::int64_t kQueuedOrder = std::int64_t{1} << 62;

// What a buffered delivery's seal is bound to: its conversation and sequence number.
Bytes buffered_row(BytesView group_id, std::uint64_t seq) {
  Bytes key(group_id.begin(), group_id.end());
  for (int i = 0; i < 8; ++i) key.push_back(static_cast<std::uint8_t>(seq >> (8 * i)));
  return key;
}

// What a message row's seal is bound to: its conversation, its id and its direction, so that a
// row moved to another conversation or flipped between incoming and outgoing no longer opens.
constexpr std::string_view kMessageBody = "message.body.v2";
Bytes message_row(BytesView group_id, BytesView message_id, bool outgoing) {
  Bytes key;
  key.push_back(static_cast<std::uint8_t>(group_id.size()));
  key.insert(key.end(), group_id.begin(), group_id.end());
  key.insert(key.end(), message_id.begin(), message_id.end());
  key.push_back(outgoing ? 1 : 0);
  return key;
}

}  // namespace

Result<KdfStrength> parse_kdf(std::string_view name) {
  if (name.empty() || name == "sensitive") return KdfStrength::sensitive;
  if (name == "moderate") return KdfStrength::moderate;
  if (name == "interactive") return KdfStrength::interactive;
  return fail(Errc::config_invalid, "kdf must be sensitive, moderate or interactive");
}

struct Store::Impl {
  sqlite3* db = nullptr;
  SecretBytes seal_key;   // column sealing
  SecretBytes index_key;  // word hashes
  int depth = 0;

  ~Impl() {
    if (db) sqlite3_close_v2(db);
  }

  Status exec(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    if (rc == SQLITE_OK) return {};
    std::string message = std::string("local store: ") + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return fail(storage_code(rc), message);
  }

  // nonce || ciphertext || tag; the associated data names the column and the row.
  Bytes seal(BytesView plain, std::string_view column, BytesView row) const {
    Bytes ad(column.begin(), column.end());
    ad.push_back(0);
    ad.insert(ad.end(), row.begin(), row.end());
    Bytes out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
    randombytes_buf(out.data(), crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &len,
                                               plain.data(), plain.size(), ad.data(), ad.size(), nullptr, out.data(),
                                               seal_key.data());
    return out;
  }
  Result<SecretBytes> open(BytesView sealed, std::string_view column, BytesView row) const {
    constexpr std::size_t overhead = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
    if (sealed.size() < overhead) return fail(Errc::storage_corrupt, "local store: a sealed value is truncated");
    Bytes ad(column.begin(), column.end());
    ad.push_back(0);
    ad.insert(ad.end(), row.begin(), row.end());
    SecretBytes plain(sealed.size() - overhead);
    unsigned long long len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain.data(), &len, nullptr, sealed.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            sealed.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, ad.data(), ad.size(), sealed.data(),
            seal_key.data()) != 0) {
      return fail(Errc::decrypt_failed, std::string("local store: ") + std::string(column) + " does not decrypt");
    }
    return plain;
  }
  // open_bytes as a callable, for the row readers.
  auto unsealer() const {
    return [this](BytesView v, std::string_view column, BytesView row) { return open_bytes(v, column, row); };
  }
  Result<Bytes> open_bytes(BytesView sealed, std::string_view column, BytesView row) const {
    GCHAT_TRY(auto plain, open(sealed, column, row));
    return Bytes(plain.view().begin(), plain.view().end());
  }

  std::string terms(std::string_view text) const {
    std::set<std::string> unique;
    for (const auto& w : index_words(text)) {
      std::uint8_t h[kTermBytes];
      crypto_generichash(h, sizeof h, reinterpret_cast<const std::uint8_t*>(w.data()), w.size(), index_key.data(),
                         index_key.size());
      char hex[2 * kTermBytes + 1];
      sodium_bin2hex(hex, sizeof hex, h, sizeof h);
      unique.insert(std::string("w") + hex);
    }
    std::string out;
    for (const auto& t : unique) {
      if (!out.empty()) out += ' ';
      out += t;
    }
    return out;
  }
};

Store::Store(std::unique_ptr<Impl> impl, std::string path) : impl_(std::move(impl)), path_(std::move(path)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open_with_passphrase(const std::string& dir, std::string_view passphrase,
                                                           KdfStrength strength) {
  if (passphrase.empty()) return fail(Errc::invalid_argument, "the passphrase is empty");
  return open(dir, passphrase, {}, strength);
}

Result<std::unique_ptr<Store>> Store::open_with_key(const std::string& dir, BytesView key) {
  if (key.size() != crypto_kdf_KEYBYTES) return fail(Errc::invalid_argument, "a platform key is 32 bytes");
  return open(dir, std::nullopt, key, KdfStrength::sensitive);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& dir, const std::optional<std::string_view>& passphrase,
                                           BytesView key, KdfStrength strength) {
  if (sodium_init() < 0) return fail(Errc::crypto_failure, "libsodium did not initialise");
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(Errc::io_failure, "cannot create " + dir + ": " + std::strerror(errno));
  }
  const std::string path = dir + "/client.db";
  auto impl = std::make_unique<Impl>();
  int rc = sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) return fail(storage_code(rc), "cannot open " + path + ": " + sqlite3_errstr(rc));
  ::chmod(path.c_str(), 0600);
  sqlite3_busy_timeout(impl->db, 5000);
  GCHAT_TRY_STATUS(impl->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;"
                              "PRAGMA secure_delete=ON;"
                              "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);"));

  // The salt and Argon2id costs are kept beside the data (they are not secret).
  auto meta = [&](const char* name) -> Result<std::optional<Bytes>> {
    Stmt st(impl->db, "SELECT value FROM meta WHERE name = ?");
    st.text(1, name);
    GCHAT_TRY(bool row, st.step());
    if (!row) return std::optional<Bytes>{};
    return std::optional<Bytes>(st.blob(0));
  };
  auto set_meta = [&](const char* name, BytesView value) {
    Stmt st(impl->db, "INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)");
    st.text(1, name).bind(2, value);
    return st.run();
  };
  GCHAT_TRY(auto check, meta("check"));
  SecretBytes master(crypto_kdf_KEYBYTES);
  if (passphrase) {
    GCHAT_TRY(auto salt, meta("salt"));
    GCHAT_TRY(auto costs, meta("kdf"));
    std::uint64_t ops = 0, mem = 0;
    if (salt && costs && costs->size() == 16) {
      for (int i = 0; i < 8; ++i) ops = ops << 8 | (*costs)[i];
      for (int i = 8; i < 16; ++i) mem = mem << 8 | (*costs)[i];
    } else {
      salt = Bytes(crypto_pwhash_SALTBYTES);
      randombytes_buf(salt->data(), salt->size());
      switch (strength) {
        case KdfStrength::interactive:
          ops = crypto_pwhash_OPSLIMIT_INTERACTIVE, mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
          break;
        case KdfStrength::moderate: ops = crypto_pwhash_OPSLIMIT_MODERATE, mem = crypto_pwhash_MEMLIMIT_MODERATE; break;
        case KdfStrength::sensitive:
          ops = crypto_pwhash_OPSLIMIT_SENSITIVE, mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
          break;
      }
      Bytes c(16);
      for (int i = 0; i < 8; ++i) c[7 - i] = static_cast<std::uint8_t>(ops >> (8 * i));
      for (int i = 0; i < 8; ++i) c[15 - i] = static_cast<std::uint8_t>(mem >> (8 * i));
      GCHAT_TRY_STATUS(set_meta("salt", *salt));
      GCHAT_TRY_STATUS(set_meta("kdf", c));
    }
    // Costs read from disk are bounded: a tampered file must not make us allocate without limit.
    if (salt->size() != crypto_pwhash_SALTBYTES || ops < crypto_pwhash_OPSLIMIT_MIN || ops > 64 ||
        mem < crypto_pwhash_MEMLIMIT_MIN || mem > crypto_pwhash_MEMLIMIT_SENSITIVE) {
      return fail(Errc::storage_corrupt, "local store: the key derivation settings are out of range");
    }
    if (crypto_pwhash(master.data(), master.size(), passphrase->data(), passphrase->size(), salt->data(), ops,
                      static_cast<std::size_t>(mem), crypto_pwhash_ALG_ARGON2ID13) != 0) {
      return fail(Errc::crypto_failure, "not enough memory to derive the store key");
    }
  } else {
    std::memcpy(master.data(), key.data(), master.size());
  }
  impl->seal_key = SecretBytes(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  impl->index_key = SecretBytes(crypto_generichash_KEYBYTES);
  crypto_kdf_derive_from_key(impl->seal_key.data(), impl->seal_key.size(), 1, kKdfContext, master.data());
  crypto_kdf_derive_from_key(impl->index_key.data(), impl->index_key.size(), 2, kKdfContext, master.data());

  if (check) {
    auto opened = impl->open(*check, "check", {});
    if (!opened.ok() || opened->view().size() != kCheck.size() ||
        std::memcmp(opened->data(), kCheck.data(), kCheck.size()) != 0) {
      return fail(Errc::decrypt_failed, "the local store does not open with this passphrase or key");
    }
  } else {
    GCHAT_TRY_STATUS(set_meta("check", impl->seal(as_bytes(kCheck), "check", {})));
  }
  GCHAT_TRY_STATUS(impl->exec(kSchema));
  GCHAT_TRY(auto binding, meta("message_binding"));
  if (!binding) {
    // Stores written before message rows were bound to their conversation and direction: sealed
    // again, all in one transaction.
    GCHAT_TRY_STATUS(impl->exec("BEGIN IMMEDIATE"));
    auto migrated = [&]() -> Status {
      Stmt rows(impl->db, "SELECT id, group_id, message_id, outgoing, body FROM messages");
      std::vector<std::pair<std::int64_t, Bytes>> resealed;
      for (;;) {
        GCHAT_TRY(bool row, rows.step());
        if (!row) break;
        GCHAT_TRY(auto plain, impl->open(rows.blob(4), "message.body", rows.blob(2)));
        resealed.emplace_back(rows.i64(0),
                              impl->seal(plain.view(), kMessageBody, message_row(rows.blob(1), rows.blob(2), rows.i64(3) != 0)));
      }
      for (const auto& [id, body] : resealed) {
        Stmt up(impl->db, "UPDATE messages SET body = ? WHERE id = ?");
        up.bind(1, body).bind(2, id);
        GCHAT_TRY_STATUS(up.run());
      }
      return set_meta("message_binding", as_bytes(std::string_view("2")));
    }();
    if (!migrated.ok()) {
      (void)impl->exec("ROLLBACK");
      return Unexpected{migrated.error()};
    }
    GCHAT_TRY_STATUS(impl->exec("COMMIT"));
  }
  return std::unique_ptr<Store>(new Store(std::move(impl), path));
}

Status Store::begin() {
  if (impl_->depth++ > 0) return {};
  auto s = impl_->exec("BEGIN IMMEDIATE");
  if (!s.ok()) impl_->depth = 0;
  return s;
}

Status Store::commit() {
  if (impl_->depth == 0) return fail(Errc::internal, "local store: commit without a transaction");
  if (--impl_->depth > 0) return {};
  auto s = impl_->exec("COMMIT");
  if (!s.ok()) {
    (void)impl_->exec("ROLLBACK");
  }
  return s;
}

void Store::rollback() noexcept {
  if (impl_->depth == 0) return;
  impl_->depth = 0;
  (void)impl_->exec("ROLLBACK");
}

Status Store::put(std::string_view name, BytesView value) {
  Stmt st(impl_->db, "INSERT OR REPLACE INTO secrets(name, value) VALUES (?, ?)");
  st.text(1, name).bind(2, impl_->seal(value, "secret", as_bytes(name)));
  return st.run();
}

Result<std::optional<SecretBytes>> Store::get(std::string_view name) {
  Stmt st(impl_->db, "SELECT value FROM secrets WHERE name = ?");
  st.text(1, name);
  GCHAT_TRY(bool row, st.step());
  if (!row) return std::optional<SecretBytes>{};
  GCHAT_TRY(auto plain, impl_->open(st.blob(0), "secret", as_bytes(name)));
  return std::optional<SecretBytes>(std::move(plain));
}

Status Store::erase(std::string_view name) {
  Stmt st(impl_->db, "DELETE FROM secrets WHERE name = ?");
  st.text(1, name);
  return st.run();
}

Status Store::save_group(const StoredGroup& g) {
  Stmt st(impl_->db,
          "INSERT OR REPLACE INTO groups(group_id, info, state, next_seq, pending_commit, pending_welcome, pending_state) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, g.group_id)
      .bind(2, impl_->seal(g.info, "group.info", g.group_id))
      .bind(3, impl_->seal(g.state, "group.state", g.group_id))
      .bind(4, static_cast<std::int64_t>(g.next_seq))
      .bind(5, impl_->seal(g.pending_commit, "group.pending_commit", g.group_id))
      .bind(6, impl_->seal(g.pending_welcome, "group.pending_welcome", g.group_id))
      .bind(7, impl_->seal(g.pending_state, "group.pending_state", g.group_id));
  return st.run();
}

Status Store::set_group_info(BytesView group_id, BytesView info) {
  Stmt st(impl_->db, "UPDATE groups SET info = ? WHERE group_id = ?");
  st.bind(1, impl_->seal(info, "group.info", group_id)).bind(2, group_id);
  return st.run();
}

Status Store::set_next_seq(BytesView group_id, std::uint64_t next_seq) {
  Stmt st(impl_->db, "UPDATE groups SET next_seq = ? WHERE group_id = ?");
  st.bind(1, static_cast<std::int64_t>(next_seq)).bind(2, group_id);
  return st.run();
}

Result<std::vector<StoredGroup>> Store::load_groups() {
  Stmt st(impl_->db,
          "SELECT group_id, info, state, next_seq, pending_commit, pending_welcome, pending_state FROM groups");
  std::vector<StoredGroup> out;
  for (;;) {
    GCHAT_TRY(bool row, st.step());
    if (!row) break;
    StoredGroup g;
    g.group_id = st.blob(0);
    GCHAT_TRY(g.info, impl_->open_bytes(st.blob(1), "group.info", g.group_id));
    GCHAT_TRY(g.state, impl_->open(st.blob(2), "group.state", g.group_id));
    g.next_seq = static_cast<std::uint64_t>(st.i64(3));
    GCHAT_TRY(g.pending_commit, impl_->open_bytes(st.blob(4), "group.pending_commit", g.group_id));
    GCHAT_TRY(g.pending_welcome, impl_->open_bytes(st.blob(5), "group.pending_welcome", g.group_id));
    GCHAT_TRY(g.pending_state, impl_->open(st.blob(6), "group.pending_state", g.group_id));
    out.push_back(std::move(g));
  }
  return out;
}

Result<std::int64_t> Store::add_message(BytesView group_id, BytesView message_id, std::uint64_t seq, int status,
                                        bool outgoing, BytesView message, std::string_view index_text) {
  Stmt st(impl_->db,
          "INSERT INTO messages(group_id, message_id, seq, status, outgoing, body, ord) VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, group_id)
      .bind(2, message_id)
      .bind(3, static_cast<std::int64_t>(seq))
      .bind(4, static_cast<std::int64_t>(status))
      .bind(5, static_cast<std::int64_t>(outgoing ? 1 : 0))
      .bind(6, impl_->seal(message, kMessageBody, message_row(group_id, message_id, outgoing)))
      .bind(7, seq > 0 ? static_cast<std::int64_t>(seq) : kQueuedOrder);
  GCHAT_TRY_STATUS(st.run());
  const std::int64_t row = sqlite3_last_insert_rowid(impl_->db);
  if (seq == 0) {
    // Not placed by the relay yet: after everything placed, in the order written.
    Stmt order(impl_->db, "UPDATE messages SET ord = ? WHERE id = ?");
    order.bind(1, kQueuedOrder + row).bind(2, row);
    GCHAT_TRY_STATUS(order.run());
  }
  const std::string terms = impl_->terms(index_text);
  if (!terms.empty()) {
    Stmt ix(impl_->db, "INSERT INTO message_index(rowid, terms) VALUES (?, ?)");
    ix.bind(1, row).text(2, terms);
    GCHAT_TRY_STATUS(ix.run());
  }
  return row;
}

Status Store::set_message_status(BytesView message_id, std::uint64_t seq, int status) {
  Stmt st(impl_->db,
          "UPDATE messages SET seq = CASE WHEN ?1 > 0 THEN ?1 ELSE seq END, ord = CASE WHEN ?1 > 0 THEN ?1 ELSE ord END, "
          "status = ?2 WHERE message_id = ?3");
  st.bind(1, static_cast<std::int64_t>(seq)).bind(2, static_cast<std::int64_t>(status)).bind(3, message_id);
  return st.run();
}

namespace {
constexpr const char* kMessageColumns = "id, message_id, seq, status, body, ord, group_id, outgoing";
}

// Rows of kMessageColumns, newest first in the statement, returned oldest first. `open` unseals a
// column value (Store::Impl::open_bytes).
template <typename Open>
static Result<std::vector<StoredMessage>> read_messages(Stmt& st, const Open& open) {
  std::vector<StoredMessage> out;
  for (;;) {
    GCHAT_TRY(bool row, st.step());
    if (!row) break;
    StoredMessage m;
    m.row = st.i64(0);
    GCHAT_TRY(m.message, open(st.blob(4), kMessageBody, message_row(st.blob(6), st.blob(1), st.i64(7) != 0)));
    m.seq = static_cast<std::uint64_t>(st.i64(2));
    m.status = static_cast<int>(st.i64(3));
    m.order = st.i64(5);
    out.push_back(std::move(m));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::optional<StoredMessage>> Store::message(BytesView message_id) {
  const auto unseal = impl_->unsealer();
  Stmt st(impl_->db, (std::string("SELECT ") + kMessageColumns + " FROM messages WHERE message_id = ?").c_str());
  st.bind(1, message_id);
  GCHAT_TRY(auto rows, read_messages(st, unseal));
  if (rows.empty()) return std::optional<StoredMessage>{};
  return std::optional<StoredMessage>(std::move(rows.front()));
}

Result<std::vector<StoredMessage>> Store::history(BytesView group_id, std::int64_t before, std::uint32_t limit) {
  Stmt st(impl_->db, (std::string("SELECT ") + kMessageColumns +
                      " FROM messages WHERE group_id = ? AND ord < ? ORDER BY ord DESC LIMIT ?")
                         .c_str());
  st.bind(1, group_id).bind(2, before > 0 ? before : INT64_MAX).bind(3, static_cast<std::int64_t>(limit) + 1);
  const auto unseal = impl_->unsealer();
  return read_messages(st, unseal);
}

Result<std::vector<StoredMessage>> Store::search(std::string_view query, BytesView group_id, std::uint32_t limit) {
  const std::string terms = impl_->terms(query);
  std::vector<StoredMessage> out;
  if (terms.empty()) return out;
  // Every word must occur (FTS5 implicit AND); the caller checks the phrase on the plaintext.
  Stmt st(impl_->db, (std::string("SELECT m.id, m.message_id, m.seq, m.status, m.body, m.ord, m.group_id, m.outgoing "
                                  "FROM message_index i "
                                  "JOIN messages m ON m.id = i.rowid WHERE message_index MATCH ? "
                                  "AND (? = 0 OR m.group_id = ?) ORDER BY m.ord DESC LIMIT ?"))
                         .c_str());
  st.text(1, terms)
      .bind(2, static_cast<std::int64_t>(group_id.empty() ? 0 : 1))
      .bind(3, group_id)
      .bind(4, static_cast<std::int64_t>(limit));
  const auto unseal = impl_->unsealer();
  return read_messages(st, unseal);
}

std::int64_t Store::read_position(BytesView group_id) {
  std::int64_t position = 0;
  auto read = get("read/" + to_hex(group_id));
  if (read.ok() && *read && (*read)->size() == sizeof position) std::memcpy(&position, (*read)->data(), sizeof position);
  return position;
}

Status Store::set_read_position(BytesView group_id, std::int64_t position) {
  return put("read/" + to_hex(group_id), BytesView(reinterpret_cast<const std::uint8_t*>(&position), sizeof position));
}

Result<std::uint32_t> Store::unread(BytesView group_id, std::int64_t read_up_to) {
  Stmt st(impl_->db, "SELECT COUNT(*) FROM messages WHERE group_id = ? AND ord > ? AND outgoing = 0");
  st.bind(1, group_id).bind(2, read_up_to);
  GCHAT_TRY(bool row, st.step());
  return row ? static_cast<std::uint32_t>(st.i64(0)) : 0u;
}

Result<std::int64_t> Store::queue(BytesView group_id, BytesView message_id, BytesView envelope) {
  Stmt st(impl_->db, "INSERT INTO outbox(group_id, message_id, envelope) VALUES (?, ?, ?)");
  st.bind(1, group_id).bind(2, message_id).bind(3, impl_->seal(envelope, "outbox.envelope", message_id));
  GCHAT_TRY_STATUS(st.run());
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(impl_->db));
}

namespace {
constexpr const char* kOutboxColumns = "SELECT id, group_id, message_id, envelope, ciphertext, epoch, seq FROM outbox";
}  // namespace

// `open` unseals a column value (Store::Impl::open_bytes).
template <typename Open>
static Result<OutboxEntry> read_outbox_row(Stmt& st, const Open& open) {
  OutboxEntry e;
  e.id = st.i64(0);
  e.group_id = st.blob(1);
  e.message_id = st.blob(2);
  GCHAT_TRY(e.envelope, open(st.blob(3), "outbox.envelope", e.message_id));
  const Bytes sealed = st.blob(4);
  if (!sealed.empty()) {
    GCHAT_TRY(e.ciphertext, open(sealed, "outbox.ciphertext", e.message_id));
  }
  e.epoch = static_cast<std::uint64_t>(st.i64(5));
  e.seq = static_cast<std::uint64_t>(st.i64(6));
  return e;
}

Result<std::vector<OutboxEntry>> Store::outbox() { return outbox_query(" ORDER BY id", 0); }

Result<std::vector<OutboxEntry>> Store::outbox_unconfirmed(std::size_t limit) {
  if (limit == 0) return outbox_query(" WHERE seq = 0 ORDER BY id", 0);
  return outbox_query(" WHERE seq = 0 ORDER BY id LIMIT ?", limit);
}

Result<std::vector<OutboxEntry>> Store::outbox_unencrypted() {
  return outbox_query(" WHERE ciphertext IS NULL ORDER BY id", 0);
}

Result<std::uint32_t> Store::outbox_count(BytesView group_id) {
  Stmt st(impl_->db, "SELECT COUNT(*) FROM outbox WHERE group_id = ?");
  st.bind(1, group_id);
  GCHAT_TRY(bool row, st.step());
  return row ? static_cast<std::uint32_t>(st.i64(0)) : 0u;
}

Result<std::vector<OutboxEntry>> Store::outbox_query(const char* where, std::size_t limit) {
  const auto unseal = impl_->unsealer();
  Stmt st(impl_->db, (std::string(kOutboxColumns) + where).c_str());
  if (limit) st.bind(1, static_cast<std::int64_t>(limit));
  std::vector<OutboxEntry> out;
  for (;;) {
    GCHAT_TRY(bool row, st.step());
    if (!row) break;
    GCHAT_TRY(auto e, read_outbox_row(st, unseal));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::optional<OutboxEntry>> Store::outbox_entry(std::int64_t id) {
  const auto unseal = impl_->unsealer();
  Stmt st(impl_->db, (std::string(kOutboxColumns) + " WHERE id = ?").c_str());
  st.bind(1, id);
  GCHAT_TRY(bool row, st.step());
  if (!row) return std::optional<OutboxEntry>{};
  GCHAT_TRY(auto e, read_outbox_row(st, unseal));
  return std::optional<OutboxEntry>(std::move(e));
}

Status Store::set_sent(std::int64_t id, BytesView ciphertext, std::uint64_t epoch) {
  Stmt get(impl_->db, "SELECT message_id FROM outbox WHERE id = ?");
  get.bind(1, id);
  GCHAT_TRY(bool row, get.step());
  if (!row) return fail(Errc::not_found, "local store: no such outgoing message");
  const Bytes message_id = get.blob(0);
  Stmt st(impl_->db, "UPDATE outbox SET ciphertext = ?, epoch = ?, seq = 0 WHERE id = ?");
  st.bind(1, impl_->seal(ciphertext, "outbox.ciphertext", message_id)).bind(2, static_cast<std::int64_t>(epoch)).bind(3, id);
  return st.run();
}

Status Store::set_outbox_seq(std::int64_t id, std::uint64_t seq) {
  Stmt st(impl_->db, "UPDATE outbox SET seq = ? WHERE id = ?");
  st.bind(1, static_cast<std::int64_t>(seq)).bind(2, id);
  return st.run();
}

Status Store::requeue(std::int64_t id) {
  Stmt st(impl_->db, "UPDATE outbox SET ciphertext = NULL, epoch = 0, seq = 0 WHERE id = ?");
  st.bind(1, id);
  return st.run();
}

Status Store::unqueue(std::int64_t id) {
  Stmt st(impl_->db, "DELETE FROM outbox WHERE id = ?");
  st.bind(1, id);
  return st.run();
}

Status Store::add_key_package(BytesView ref, BytesView bundle) {
  Stmt st(impl_->db, "INSERT OR REPLACE INTO key_packages(ref, bundle) VALUES (?, ?)");
  st.bind(1, ref).bind(2, impl_->seal(bundle, "key_package", ref));
  return st.run();
}

Result<std::optional<SecretBytes>> Store::key_package(BytesView ref) {
  Stmt st(impl_->db, "SELECT bundle FROM key_packages WHERE ref = ?");
  st.bind(1, ref);
  GCHAT_TRY(bool row, st.step());
  if (!row) return std::optional<SecretBytes>{};
  GCHAT_TRY(auto bundle, impl_->open(st.blob(0), "key_package", ref));
  return std::optional<SecretBytes>(std::move(bundle));
}

Status Store::drop_key_package(BytesView ref) {
  Stmt del(impl_->db, "DELETE FROM key_packages WHERE ref = ?");
  del.bind(1, ref);
  return del.run();
}


Result<std::uint32_t> Store::key_package_count() {
  Stmt st(impl_->db, "SELECT COUNT(*) FROM key_packages");
  GCHAT_TRY(bool row, st.step());
  return row ? static_cast<std::uint32_t>(st.i64(0)) : 0u;
}

Status Store::buffer(const BufferedDelivery& d) {
  Stmt count(impl_->db, "SELECT COUNT(*) FROM buffered WHERE group_id = ?");
  count.bind(1, d.group_id);
  GCHAT_TRY(bool row, count.step());
  if (row && static_cast<std::size_t>(count.i64(0)) >= kMaxBufferedPerGroup) {
    return fail(Errc::storage_full, "local store: too many messages waiting for a conversation not joined");
  }
  Stmt st(impl_->db,
          "INSERT OR IGNORE INTO buffered(group_id, seq, kind, sender_key, payload, time_ms) VALUES (?, ?, ?, ?, ?, ?)");
  const Bytes row_key = buffered_row(d.group_id, d.seq);
  st.bind(1, d.group_id)
      .bind(2, static_cast<std::int64_t>(d.seq))
      .bind(3, static_cast<std::int64_t>(d.kind))
      .bind(4, d.sender_key)
      .bind(5, impl_->seal(d.payload, "buffered.payload", row_key))
      .bind(6, static_cast<std::int64_t>(d.time_ms));
  return st.run();
}

Result<std::vector<BufferedDelivery>> Store::buffered(BytesView group_id) {
  Stmt st(impl_->db, "SELECT seq, kind, sender_key, payload, time_ms FROM buffered WHERE group_id = ? ORDER BY seq");
  st.bind(1, group_id);
  std::vector<BufferedDelivery> out;
  for (;;) {
    GCHAT_TRY(bool row, st.step());
    if (!row) break;
    BufferedDelivery d;
    d.group_id = Bytes(group_id.begin(), group_id.end());
    d.seq = static_cast<std::uint64_t>(st.i64(0));
    d.kind = static_cast<int>(st.i64(1));
    d.sender_key = st.blob(2);
    const Bytes row_key = buffered_row(d.group_id, d.seq);
    GCHAT_TRY(d.payload, impl_->open_bytes(st.blob(3), "buffered.payload", row_key));
    d.time_ms = static_cast<std::uint64_t>(st.i64(4));
    out.push_back(std::move(d));
  }
  return out;
}

Status Store::drop_buffered(BytesView group_id) {
  Stmt st(impl_->db, "DELETE FROM buffered WHERE group_id = ?");
  st.bind(1, group_id);
  return st.run();
}

Status Store::add_pending_link(BytesView device_key) {
  Stmt st(impl_->db, "INSERT OR IGNORE INTO pending_links(device_key) VALUES (?)");
  st.bind(1, device_key);
  return st.run();
}

Result<std::vector<Bytes>> Store::pending_links() {
  Stmt st(impl_->db, "SELECT device_key FROM pending_links");
  std::vector<Bytes> out;
  for (;;) {
    GCHAT_TRY(bool row, st.step());
    if (!row) break;
    out.push_back(st.blob(0));
  }
  return out;
}

Status Store::drop_pending_link(BytesView device_key) {
  Stmt st(impl_->db, "DELETE FROM pending_links WHERE device_key = ?");
  st.bind(1, device_key);
  return st.run();
}

}  // namespace gchat::client
