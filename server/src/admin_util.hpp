#pragma once
// Small helpers shared by the handlers of administrative acts.
#include <sodium.h>

#include <string>

#include "gchat/base/bytes.hpp"
#include "gchat/base/error.hpp"
#include "gchat/relay/v1/relay.pb.h"
#include "gchat/server/session.hpp"
#include "gchat/server/store.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace pb = gchat::relay::v1;

inline pb::ErrorCode code_for(const Error& e) {
  return e.code == Errc::cert_revoked ? pb::REVOKED : pb::CERTIFICATE_REJECTED;
}

// A certificate its signer may not issue (role, agency, the agency's cap, a renewal that changes
// the person) is FORBIDDEN; otherwise as code_for.
inline pb::ErrorCode issuance_code(const Error& e) {
  switch (e.code) {
    case Errc::cert_role_missing:
    case Errc::cert_mismatch:
    case Errc::cert_clearance_above_cap:
    case Errc::cert_renewal_changed:
      return pb::FORBIDDEN;
    default:
      return code_for(e);
  }
}

inline Bytes act_id_of(const std::string& body) {
  Bytes id(crypto_hash_sha256_BYTES);
  crypto_hash_sha256(id.data(), reinterpret_cast<const unsigned char*>(body.data()), body.size());
  return id;
}

// Records an act as applied, inside its storage step; a second submission is a replay.
inline Status claim_act(Store& store, Outcome& o, BytesView act_id) {
  GCHAT_TRY(bool fresh, store.claim_admin_act(act_id, wire::now_ms()));
  if (!fresh) return reject(o, pb::REPLAYED, "this act was already applied");
  return {};
}

}  // namespace gchat::server
