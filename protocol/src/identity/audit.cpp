#include "gchat/identity/audit.hpp"

#include <sodium.h>

#include <map>
#include <string>

namespace gchat::identity {

namespace {
constexpr std::string_view kEntryLabel = "G-Chat audit entry v1";
}

Bytes audit_hash(BytesView previous_hash, const v1::AuditEntry& entry) {
  const Bytes body = serialize_canonical(entry);
  const std::uint8_t zero = 0;
  const Bytes input = concat({as_bytes(kEntryLabel), BytesView(&zero, 1), previous_hash, body});
  Bytes out(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(out.data(), input.data(), input.size());
  return out;
}

Result<AuditReport> verify_audit(const std::vector<StoredAuditEntry>& entries, const std::vector<v1::Signed>& checkpoints,
                                 BytesView relay_key) {
  AuditReport report;
  Bytes previous = audit_genesis_hash();
  std::vector<Bytes> chain;  // chain[i] = recomputed hash of entry i+1
  chain.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (e.entry.seq() != i + 1) {
      return fail(Errc::audit_broken, "entry " + std::to_string(i + 1) + " is missing or out of order (found seq " +
                                          std::to_string(e.entry.seq()) + ")");
    }
    Bytes h = audit_hash(previous, e.entry);
    if (!equal_ct(h, e.hash)) {
      return fail(Errc::audit_broken, "entry " + std::to_string(e.entry.seq()) + " (" + e.entry.kind() +
                                          ") does not match the hash chain: edited, or an earlier entry was");
    }
    chain.push_back(h);
    previous = std::move(h);
  }
  for (const auto& signed_checkpoint : checkpoints) {
    auto opened = open_signed<v1::AuditCheckpoint>(SignedKind::audit_checkpoint, signed_checkpoint, relay_key,
                                                   "audit checkpoint");
    if (!opened.ok()) return fail(Errc::audit_broken, opened.error().message);
    const auto& c = *opened;
    if (c.seq() == 0 || c.seq() > chain.size()) {
      return fail(Errc::audit_broken, "checkpoint at entry " + std::to_string(c.seq()) +
                                          " names an entry the log no longer has: entries were deleted");
    }
    if (!equal_ct(as_bytes(c.hash()), chain[c.seq() - 1])) {
      return fail(Errc::audit_broken, "checkpoint at entry " + std::to_string(c.seq()) + " does not match the log");
    }
    ++report.checkpoints;
    report.last_checkpointed_seq = std::max<std::uint64_t>(report.last_checkpointed_seq, c.seq());
  }
  if (!entries.empty() && report.checkpoints == 0) {
    return fail(Errc::audit_broken, "the log has entries but no signed checkpoint");
  }
  report.entries = entries.size();
  return report;
}

}  // namespace gchat::identity
