#pragma once
// The one chain verification used by the relay and every client: root -> agency -> administrator
// -> user -> device. Each rejection carries its own code (cert_* in base/error.hpp) and a sentence
// naming the certificate at fault.

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "gchat/base/bytes.hpp"
#include "gchat/base/result.hpp"
#include "gchat/identity/certificate.hpp"
#include "gchat/identity/clearance.hpp"

namespace gchat::identity {

// Clocks of devices and relay may differ this much; a certificate is accepted this long before its
// not_before.
inline constexpr std::int64_t kClockSkewSeconds = 300;

// The revocation list in a form that answers in O(1).
class Revocations {
 public:
  Revocations() = default;
  explicit Revocations(const v1::RevocationList& list);
  std::uint64_t number() const noexcept { return number_; }
  bool device(BytesView device_key) const;
  bool user(std::string_view agency_id, std::string_view user_id) const;
  bool user_serial(std::uint64_t serial) const { return user_serials_.count(serial) != 0; }
  bool admin(std::string_view agency_id, std::string_view admin_id) const;
  bool agency(std::string_view agency_id) const { return agencies_.count(std::string(agency_id)) != 0; }

 private:
  std::uint64_t number_ = 0;
  std::unordered_set<std::string> devices_, users_, admins_, agencies_;
  std::unordered_set<std::uint64_t> user_serials_;
};

struct TrustAnchor {
  Bytes root_key;                        // the pinned government root public key
  std::int64_t now = 0;                  // Unix seconds
  const Revocations* revoked = nullptr;  // none known when null
};

struct VerifiedAgency {
  std::string agency_id, name_th, name_en;
  Bytes agency_key;
  Clearance max_clearance = Clearance::unclassified;
  std::int64_t not_after = 0;
};

struct VerifiedAdmin {
  VerifiedAgency agency;
  std::string admin_id, name_th, name_en;
  Bytes admin_key;
  std::vector<v1::Role> roles;
  std::int64_t not_after = 0;
  bool has(v1::Role role) const;
};

struct VerifiedUser {
  VerifiedAgency agency;
  std::string admin_id;  // who signed the user certificate
  std::string user_id, name_th, name_en;
  std::uint64_t serial = 0;
  std::uint64_t basis_serial = 0;  // a renewal: the serial of the certificate it renews (revoked with it)
  Bytes identity_key;
  Clearance clearance = Clearance::unclassified;
  bool may_publish = false;
  bool cross_agency = false;
  std::int64_t not_after = 0;
};

struct VerifiedDevice {
  VerifiedUser user;
  Bytes device_key;
  std::string device_name;
  std::int64_t not_after = 0;  // the earliest expiry in the chain
};

Result<VerifiedAgency> verify_agency(const v1::Signed& agency, const TrustAnchor& anchor);
Result<VerifiedAdmin> verify_admin(const v1::AdminChain& chain, const TrustAnchor& anchor);
// A user certificate under a verified administrator (used for administrative acts that carry a
// renewed certificate).
Result<VerifiedUser> verify_user(const VerifiedAdmin& admin, const v1::Signed& user, const TrustAnchor& anchor);
// A user certificate body checked against its signer without the signature (what an
// administrator's tool checks before signing).
Status check_user_issuable(const VerifiedAdmin& admin, const v1::UserCertificate& user);
// The renewal of `current` (the user's newest certificate, signed by `current_issuer`) that
// `renewer` may sign: the same person, names, clearance, rights and identity key, a new serial and
// validity, and — when the renewer is the issuing service (RENEWAL without USER_ADMIN) — the basis
// it stands on (the current certificate, or the current one's own basis). Refused for another
// agency or without either role.
Result<v1::UserCertificate> renewal_of(const v1::Signed& current, const v1::AdminChain& current_issuer,
                                       const VerifiedAdmin& renewer, std::uint64_t serial, const v1::Validity& validity);
// Whether `renewed` renews `current`: the same content (cert_renewal_changed otherwise), a new
// serial and a later expiry.
Status check_renewal(const v1::UserCertificate& current, const v1::UserCertificate& renewed);
// A device certificate under a verified user.
Result<VerifiedDevice> verify_device(const VerifiedUser& user, const v1::Signed& device, const TrustAnchor& anchor);
Result<VerifiedDevice> verify_chain(const v1::Chain& chain, const TrustAnchor& anchor);
// The earliest not_after of a chain's four certificates, read without verification (0 when one
// does not parse): when the chain stops verifying by time alone.
std::int64_t earliest_expiry(const v1::Chain& chain);
// From bytes (an MLS credential, a relay frame): size-checked and canonically parsed first.
Result<VerifiedDevice> verify_chain(BytesView chain, const TrustAnchor& anchor);

}  // namespace gchat::identity
