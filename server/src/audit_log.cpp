#include "gchat/server/audit_log.hpp"

#include "gchat/identity/audit.hpp"
#include "wire.hpp"

namespace gchat::server {

Result<std::uint64_t> append_audit(Store& store, const Relay& relay, const std::string& kind, const std::string& actor,
                                   const std::string& subject, const std::string& detail) {
  GCHAT_TRY(auto last, store.last_audit_entry());
  identity::v1::AuditEntry entry;
  entry.set_seq(last ? last->seq + 1 : 1);
  entry.set_time_ms(static_cast<std::int64_t>(wire::now_ms()));
  entry.set_kind(kind);
  entry.set_actor(actor);
  entry.set_subject(subject);
  entry.set_detail(detail);
  AuditRow row;
  row.seq = entry.seq();
  row.entry = identity::serialize_canonical(entry);
  row.hash = identity::audit_hash(last ? BytesView(last->hash) : BytesView(identity::audit_genesis_hash()), entry);
  GCHAT_TRY_STATUS(store.append_audit_entry(row));

  // Administrative events are rare: every entry gets its checkpoint, so the log is verifiable to
  // its last entry at any moment.
  identity::v1::AuditCheckpoint checkpoint;
  checkpoint.set_seq(row.seq);
  checkpoint.set_hash(row.hash.data(), row.hash.size());
  checkpoint.set_time_ms(entry.time_ms());
  checkpoint.set_relay_id(relay.config().relay_id);
  const auto signed_checkpoint =
      identity::make_signed(identity::SignedKind::audit_checkpoint, checkpoint, relay.signing_key());
  const std::string bytes = signed_checkpoint.SerializeAsString();
  GCHAT_TRY_STATUS(store.add_audit_checkpoint(row.seq, as_bytes(bytes)));
  return row.seq;
}

Result<identity::AuditReport> verify_audit_database(const std::string& db_path, BytesView relay_key) {
  GCHAT_TRY(auto store, open_sqlite_store(db_path));
  GCHAT_TRY(auto rows, store->read_audit_log());
  GCHAT_TRY(auto stored_checkpoints, store->read_audit_checkpoints());
  std::vector<identity::StoredAuditEntry> entries;
  entries.reserve(rows.size());
  for (auto& row : rows) {
    identity::StoredAuditEntry e;
    auto parsed = identity::parse_canonical(row.entry, e.entry, "audit entry " + std::to_string(row.seq));
    if (!parsed.ok()) return fail(Errc::audit_broken, parsed.error().message);
    if (e.entry.seq() != row.seq) {
      return fail(Errc::audit_broken, "audit entry stored at " + std::to_string(row.seq) + " says it is entry " +
                                          std::to_string(e.entry.seq()));
    }
    e.hash = std::move(row.hash);
    entries.push_back(std::move(e));
  }
  std::vector<identity::v1::Signed> checkpoints;
  for (const auto& c : stored_checkpoints) {
    identity::v1::Signed s;
    if (!s.ParseFromArray(c.data(), static_cast<int>(c.size()))) {
      return fail(Errc::audit_broken, "an audit checkpoint does not parse");
    }
    checkpoints.push_back(std::move(s));
  }
  return identity::verify_audit(entries, checkpoints, relay_key);
}

}  // namespace gchat::server
