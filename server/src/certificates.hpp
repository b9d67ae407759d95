#pragma once
// The certificate registry on top of the Store: records made from verified certificates, the rule
// for when a certificate a device shows replaces the stored one, which issuer chain to serve with
// a certificate, the notice a person's devices get when theirs changes, and the expiry gauges.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gchat/identity/v1/identity.pb.h"
#include "gchat/server/relay.hpp"
#include "gchat/server/store.hpp"

namespace gchat::server {

// /metrics warns this long before a certificate expires.
inline constexpr std::int64_t kExpiryWarningSeconds = 30 * 24 * 3600;

// A user certificate with its signer's chain, both already verified by the caller.
struct CertificateRecords {
  UserCertificateRecord user;
  AdminChainRecord issuer;
};
Result<CertificateRecords> certificate_records(const identity::v1::Signed& certificate,
                                               const identity::v1::AdminChain& issuer);
Result<AdminChainRecord> admin_chain_record(const identity::v1::AdminChain& chain);

// Whether a certificate a device authenticates with replaces the stored one: another serial that
// starts no earlier and ends later. (An older certificate a device still holds, e.g. from before a
// raised clearance, never displaces the current one.)
bool newer_than(const UserCertificateRecord& candidate, const UserCertificateRecord& current);

// What the registry made of the certificate a device authenticated with: recorded when newer than
// the stored one (the person's other devices are then to be told), its signer's chain kept when it
// is the newest of its key.
struct CertificateShown {
  bool changed = false;            // the registry changed (the expiry gauges are recounted)
  std::vector<DeviceRef> to_tell;  // the person's other devices, when it replaced an older certificate
};
Result<CertificateShown> certificate_shown(Store& store, const CertificateRecords& shown, DeviceRef device);

// Makes the certificate the person's current one and keeps its signer's chain (when newest) and the
// certificate's history entry.
Status store_certificate(Store& store, const CertificateRecords& records);

// The person's current certificate. A person the registry does not know yet (on a relay upgraded
// from before it, until one of their devices authenticates) gets it from the latest-expiring
// chain their devices authenticated with, which is recorded then.
Result<std::optional<UserCertificateRecord>> current_certificate_of(Store& store,
                                                                    const std::string& agency_id,
                                                                    const std::string& user_id);

// The chain served with a certificate (FetchCertificate): the newest chain of the key that signed
// it, so that a renewed agency or administrator certificate reaches the device; else the chain it
// came with.
Result<Bytes> newest_issuer(Store& store, const UserCertificateRecord& record);
// The chain get_user answers, which an issuing service puts in a renewal as basis_issuer: every
// verifier checks that one as of the basis's not_before, so the newest chain of the signer's key
// when it was already valid then, else the chain the certificate came with.
Result<Bytes> issuer_for_basis(Store& store, BytesView root_key, const UserCertificateRecord& record);

// Pushed to a person's devices when the relay stores a newer certificate of theirs.
std::shared_ptr<const std::string> certificate_notice(std::uint64_t serial);

// Recounts the /metrics gauges of certificates expiring within kExpiryWarningSeconds, through the
// storage writer (an indexed count; called periodically and after each change).
void refresh_expiry_gauges(Relay& relay);

}  // namespace gchat::server
