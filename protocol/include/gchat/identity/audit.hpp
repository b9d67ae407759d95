#pragma once
// The audit log's hash chain and signed checkpoints (identity.proto, AuditEntry): computed by the
// relay as it appends, checked by `gchat-admin audit verify`.

#include <cstdint>
#include <vector>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/identity/certificate.hpp"

namespace gchat::identity {

inline constexpr std::size_t kAuditHashSize = 32;

// hash_n from hash_{n-1} and the entry (whose body is encoded canonically).
Bytes audit_hash(BytesView previous_hash, const v1::AuditEntry& entry);
inline Bytes audit_genesis_hash() { return Bytes(kAuditHashSize, 0); }

struct StoredAuditEntry {
  v1::AuditEntry entry;
  Bytes hash;  // as the log stored it
};

struct AuditReport {
  std::uint64_t entries = 0;
  std::uint64_t checkpoints = 0;
  std::uint64_t last_checkpointed_seq = 0;  // entries after it are chained but not yet signed
};

// Checks the whole log: sequence without gaps from 1, every stored hash equal to the recomputed
// chain, every checkpoint signed by `relay_key` and naming an entry whose hash it matches, and at
// least one checkpoint when there are entries. Entries after the last checkpoint are reported,
// not trusted. Fails with Errc::audit_broken naming the first bad entry.
Result<AuditReport> verify_audit(const std::vector<StoredAuditEntry>& entries, const std::vector<v1::Signed>& checkpoints,
                                 BytesView relay_key);

}  // namespace gchat::identity
