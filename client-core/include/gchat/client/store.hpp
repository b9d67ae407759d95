#pragma once
// The client's local store: one SQLite file (WAL, synchronous FULL) whose secret columns are sealed
// with XChaCha20-Poly1305 under a key from Argon2id over the user's passphrase (or a 32-byte key
// from the platform's key store). What stays in clear is structure only: random conversation ids,
// sequence numbers, times, row counts. The full-text index holds keyed hashes of words (ICU word
// segmentation, so Thai words are found inside sentences), never the words.
//
// Not thread-safe: the client core's engine thread owns it. Every change the engine makes for one
// relay message (MLS state, history, index, cursor) goes into one transaction, so a process killed
// at any point restarts from a consistent state.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/base/secret_bytes.hpp"

namespace gchat::client {

enum class KdfStrength { interactive, moderate, sensitive };
Result<KdfStrength> parse_kdf(std::string_view name);  // "" means sensitive

// Words of a text as the index sees them: ICU word boundaries (dictionary-based for Thai), case
// folded and NFKC-normalized; spaces and punctuation dropped.
std::vector<std::string> index_words(std::string_view utf8);
// The same normalization for a whole text (substring checks of search results).
std::string fold_text(std::string_view utf8);

struct StoredGroup {
  Bytes group_id;
  Bytes info;          // the front end's view of the conversation (serialized client.v1.Conversation)
  SecretBytes state;   // mls::Group::serialize()
  std::uint64_t next_seq = 1;
  // A commit this device sent and that the relay has not yet placed: the state to adopt when it
  // comes back in order.
  Bytes pending_commit;
  Bytes pending_welcome;  // sent once the commit is in place
  SecretBytes pending_state;
};

struct StoredMessage {
  std::int64_t row = 0;
  std::int64_t order = 0;  // position in the conversation's history (the relay's sequence once placed)
  Bytes message;       // serialized client.v1.Message (status and seq come from their columns)
  std::uint64_t seq = 0;
  int status = 0;
};

struct OutboxEntry {
  std::int64_t id = 0;
  Bytes group_id;
  Bytes message_id;
  Bytes envelope;      // the signed post (client.v1.Envelope), to encrypt at sending time
  Bytes ciphertext;    // the MLS message sent, once sent
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;  // from SendOk
};

struct BufferedDelivery {
  Bytes group_id;
  std::uint64_t seq = 0;
  int kind = 0;
  Bytes sender_key;
  Bytes payload;
  std::uint64_t time_ms = 0;
};

class Store {
 public:
  // Opens or creates `dir`/client.db. A wrong passphrase or key: Errc::decrypt_failed.
  static Result<std::unique_ptr<Store>> open_with_passphrase(const std::string& dir, std::string_view passphrase,
                                                             KdfStrength strength);
  static Result<std::unique_ptr<Store>> open_with_key(const std::string& dir, BytesView key);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // One transaction at a time; nested begin() calls join the outer one.
  Status begin();
  Status commit();
  void rollback() noexcept;

  // Sealed key/value entries (identity keys, chain, enrolment code, relay key).
  Status put(std::string_view name, BytesView value);
  Result<std::optional<SecretBytes>> get(std::string_view name);
  Status erase(std::string_view name);

  // Conversations with their MLS state.
  Status save_group(const StoredGroup& group);
  Status set_group_info(BytesView group_id, BytesView info);
  Status set_next_seq(BytesView group_id, std::uint64_t next_seq);
  Result<std::vector<StoredGroup>> load_groups();

  // History. `index_text` is what search will find (empty: nothing).
  Result<std::int64_t> add_message(BytesView group_id, BytesView message_id, std::uint64_t seq, int status,
                                   bool outgoing, BytesView message, std::string_view index_text);
  Status set_message_status(BytesView message_id, std::uint64_t seq, int status);
  Result<std::optional<StoredMessage>> message(BytesView message_id);
  // In the relay's order (messages not placed yet last), oldest first, before the position `before`
  // (0: the newest). Returns up to limit+1 to tell whether there is more.
  Result<std::vector<StoredMessage>> history(BytesView group_id, std::int64_t before, std::uint32_t limit);
  Result<std::vector<StoredMessage>> search(std::string_view query, BytesView group_id, std::uint32_t limit);
  // How far this person has read a conversation (a history position; 0: nothing).
  std::int64_t read_position(BytesView group_id);
  Status set_read_position(BytesView group_id, std::int64_t position);
  // Incoming messages after the position `read_up_to`.
  Result<std::uint32_t> unread(BytesView group_id, std::int64_t read_up_to);

  // Outgoing queue.
  Result<std::int64_t> queue(BytesView group_id, BytesView message_id, BytesView envelope);
  Result<std::vector<OutboxEntry>> outbox();
  Result<std::optional<OutboxEntry>> outbox_entry(std::int64_t id);
  // Entries the relay has not confirmed yet, oldest first (limit 0: all); entries not encrypted yet.
  Result<std::vector<OutboxEntry>> outbox_unconfirmed(std::size_t limit);
  Result<std::vector<OutboxEntry>> outbox_unencrypted();
  // How many entries of one conversation wait in the outbox (sent or not).
  Result<std::uint32_t> outbox_count(BytesView group_id);
  Status set_sent(std::int64_t id, BytesView ciphertext, std::uint64_t epoch);
  Status set_outbox_seq(std::int64_t id, std::uint64_t seq);
  Status requeue(std::int64_t id);
  Status unqueue(std::int64_t id);

  // One-time key packages this device uploaded: the private half, by KeyPackageRef.
  Status add_key_package(BytesView ref, BytesView bundle);
  // Read without consuming, and consume: a Welcome uses a key package only once it has joined.
  Result<std::optional<SecretBytes>> key_package(BytesView ref);
  Status drop_key_package(BytesView ref);
  Result<std::uint32_t> key_package_count();

  // Deliveries of conversations this device has not joined yet (they come before the Welcome).
  Status buffer(const BufferedDelivery& d);
  Result<std::vector<BufferedDelivery>> buffered(BytesView group_id);
  Status drop_buffered(BytesView group_id);

  // Devices whose link this device approved and that still have to be added to its conversations.
  Status add_pending_link(BytesView device_key);
  Result<std::vector<Bytes>> pending_links();
  Status drop_pending_link(BytesView device_key);

  const std::string& path() const noexcept { return path_; }

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl, std::string path);
  static Result<std::unique_ptr<Store>> open(const std::string& dir, const std::optional<std::string_view>& passphrase,
                                             BytesView key, KdfStrength strength);
  Result<std::vector<OutboxEntry>> outbox_query(const char* where, std::size_t limit);
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace gchat::client
