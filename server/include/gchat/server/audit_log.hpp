#pragma once
// Appending to the relay's audit log (metadata only, never content): the hash chain and a signed
// checkpoint, written inside the caller's storage transaction so that the entry and the change it
// records are durable together or not at all. Verified by `gchat-admin audit verify`.

#include <string>

#include "gchat/base/result.hpp"
#include "gchat/identity/audit.hpp"
#include "gchat/server/relay.hpp"
#include "gchat/server/store.hpp"

namespace gchat::server {

// Returns the new entry's sequence number.
Result<std::uint64_t> append_audit(Store& store, const Relay& relay, const std::string& kind, const std::string& actor,
                                   const std::string& subject, const std::string& detail);

// Reads the whole audit log of a relay database and verifies it against the relay's public key.
Result<identity::AuditReport> verify_audit_database(const std::string& db_path, BytesView relay_key);

}  // namespace gchat::server
