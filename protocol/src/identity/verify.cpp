#include "gchat/identity/verify.hpp"

#include <algorithm>

namespace gchat::identity {
namespace {

std::string qualified(std::string_view agency_id, std::string_view id) {
  std::string out(agency_id);
  out += '/';
  out += id;
  return out;
}

Status check_validity(const v1::Validity& v, std::int64_t now, std::string_view what) {
  if (v.not_before() >= v.not_after()) {
    return fail(Errc::cert_malformed, std::string(what) + " has an empty validity period");
  }
  if (now + kClockSkewSeconds < v.not_before()) {
    return fail(Errc::cert_not_yet_valid, std::string(what) + " is not valid before " + std::to_string(v.not_before()));
  }
  if (now >= v.not_after()) {
    return fail(Errc::cert_expired, std::string(what) + " expired at " + std::to_string(v.not_after()));
  }
  return {};
}

Status check_names(std::string_view th, std::string_view en, std::string_view what) {
  auto ok = [](std::string_view s) { return !s.empty() && s.size() <= 200; };
  if (!ok(th) || !ok(en)) return fail(Errc::cert_malformed, std::string(what) + " needs Thai and English names of 1..200 bytes");
  return {};
}

Status check_key(const std::string& key, std::string_view what) {
  if (key.size() != kPublicKeySize) return fail(Errc::cert_malformed, std::string(what) + " key is not 32 bytes");
  return {};
}

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

// The person a certificate describes, without its serial, validity, signer and basis: what a
// renewal must keep byte for byte.
Bytes content_of(const v1::UserCertificate& u) {
  v1::UserCertificate c = u;
  c.clear_serial();
  c.clear_validity();
  c.clear_admin_id();
  c.clear_basis();
  c.clear_basis_issuer();
  return serialize_canonical(c);
}

Status check_user_body(const VerifiedAdmin& admin, const v1::UserCertificate& u);

// A renewal's basis: an ordinary certificate of the same person, by an administrator whose chain
// verified when the basis was made (and is not revoked now), saying exactly what the renewal says.
Status check_basis(const v1::UserCertificate& u, const TrustAnchor& anchor) {
  if (!u.has_basis() || !u.has_basis_issuer()) {
    return fail(Errc::cert_role_missing, "user certificate '" + u.user_id() +
                                             "' is signed by a renewal service but renews no certificate");
  }
  v1::UserCertificate basis;
  GCHAT_TRY_STATUS(parse_canonical(as_bytes(u.basis().body()), basis, "renewed certificate's basis"));
  TrustAnchor then = anchor;
  then.now = basis.validity().not_before();
  auto issuer = verify_admin(u.basis_issuer(), then);
  if (!issuer.ok()) {
    return fail(issuer.error().code, "the certificate renewed for '" + u.user_id() + "': " + issuer.error().message);
  }
  GCHAT_TRY(auto opened, open_signed<v1::UserCertificate>(SignedKind::user_certificate, u.basis(), issuer->admin_key,
                                                          "renewed certificate's basis"));
  if (opened.has_basis() || opened.has_basis_issuer()) {
    return fail(Errc::cert_malformed, "a renewal's basis is itself a renewal");
  }
  GCHAT_TRY_STATUS(check_user_body(*issuer, opened));
  if (!issuer->has(v1::USER_ADMIN)) {
    return fail(Errc::cert_role_missing, "the basis of a renewal is not by a user administrator");
  }
  if (content_of(opened) != content_of(u)) {
    return fail(Errc::cert_renewal_changed, "a renewal of '" + u.user_id() +
                                                "' changes what its basis says (names, clearance, rights or key)");
  }
  if (u.validity().not_before() < opened.validity().not_before() ||
      u.validity().not_after() <= opened.validity().not_after()) {
    return fail(Errc::cert_renewal_changed, "a renewal of '" + u.user_id() + "' must be valid later than its basis");
  }
  if (anchor.revoked && anchor.revoked->user_serial(opened.serial())) {
    return fail(Errc::cert_revoked, "user certificate " + std::to_string(opened.serial()) + " of '" + u.user_id() +
                                        "', which this one renews, is revoked (superseded)");
  }
  return {};
}

Status check_user_body(const VerifiedAdmin& admin, const v1::UserCertificate& u) {
  const VerifiedAgency& agency = admin.agency;
  if (!valid_id(u.user_id())) return fail(Errc::cert_malformed, "user certificate: invalid user id");
  GCHAT_TRY_STATUS(check_names(u.name_th(), u.name_en(), "user certificate"));
  GCHAT_TRY_STATUS(check_key(u.identity_key(), "user certificate: identity"));
  if (u.agency_id() != agency.agency_id) {
    return fail(Errc::cert_mismatch, "user certificate of agency '" + u.agency_id() + "' signed by an administrator of '" +
                                         agency.agency_id + "'");
  }
  if (u.admin_id() != admin.admin_id) {
    return fail(Errc::cert_mismatch, "user certificate names administrator '" + u.admin_id() + "' but was signed by '" +
                                         admin.admin_id + "'");
  }
  const auto level = clearance_from_int(u.clearance());
  if (!level) return fail(Errc::cert_malformed, "user certificate: unknown clearance level");
  if (!admin.has(v1::USER_ADMIN) && admin.has(v1::RENEWAL)) {
    // The issuing service: what it may sign is decided by the basis (checked in verify_user).
    if (!u.has_basis()) {
      return fail(Errc::cert_role_missing, "administrator '" + admin.admin_id +
                                               "' may only renew certificates, and this one renews none");
    }
    return {};
  }
  if (u.has_basis() || u.has_basis_issuer()) {
    return fail(Errc::cert_malformed, "user certificate: only a renewal service's certificate names a basis");
  }
  if (!admin.has(v1::USER_ADMIN)) {
    return fail(Errc::cert_role_missing, "administrator '" + admin.admin_id + "' may not issue user certificates");
  }
  if (*level != Clearance::unclassified && !admin.has(v1::CLEARANCE_OFFICER)) {
    return fail(Errc::cert_role_missing,
                "administrator '" + admin.admin_id + "' is not a clearance officer and may not grant " + label_both(*level));
  }
  if (!at_least(agency.max_clearance, *level)) {
    return fail(Errc::cert_clearance_above_cap, "agency '" + agency.agency_id + "' may grant at most " +
                                                    label_both(agency.max_clearance) + ", not " + label_both(*level));
  }
  for (int r : u.rights()) {
    if (r == v1::RIGHT_UNSPECIFIED) return fail(Errc::cert_malformed, "user certificate: unspecified right");
    if (r == v1::PUBLISH && !admin.has(v1::CHANNEL_ADMIN)) {
      return fail(Errc::cert_role_missing, "administrator '" + admin.admin_id + "' may not grant the publish right");
    }
  }
  return {};
}

}  // namespace

Revocations::Revocations(const v1::RevocationList& list) : number_(list.number()) {
  for (const auto& d : list.device_keys()) devices_.insert(d);
  for (const auto& u : list.users()) users_.insert(qualified(u.agency_id(), u.user_id()));
  for (auto s : list.user_serials()) user_serials_.insert(s);
  for (const auto& a : list.admin_ids()) admins_.insert(a);
  for (const auto& a : list.agency_ids()) agencies_.insert(a);
}

bool Revocations::device(BytesView key) const {
  return devices_.count(std::string(reinterpret_cast<const char*>(key.data()), key.size())) != 0;
}
bool Revocations::user(std::string_view agency_id, std::string_view user_id) const {
  return users_.count(qualified(agency_id, user_id)) != 0;
}
bool Revocations::admin(std::string_view agency_id, std::string_view admin_id) const {
  return admins_.count(qualified(agency_id, admin_id)) != 0;
}

bool VerifiedAdmin::has(v1::Role role) const { return std::find(roles.begin(), roles.end(), role) != roles.end(); }

Result<VerifiedAgency> verify_agency(const v1::Signed& agency, const TrustAnchor& anchor) {
  auto opened = open_signed<v1::AgencyCertificate>(SignedKind::agency_certificate, agency, anchor.root_key,
                                                   "agency certificate");
  if (!opened.ok()) {
    Error e = std::move(opened).error();
    if (e.code == Errc::cert_bad_signature) e.message = "agency certificate is not signed by the pinned government root";
    return Unexpected{std::move(e)};
  }
  const v1::AgencyCertificate& a = *opened;
  if (!valid_id(a.agency_id())) return fail(Errc::cert_malformed, "agency certificate: invalid agency id");
  GCHAT_TRY_STATUS(check_names(a.name_th(), a.name_en(), "agency certificate"));
  GCHAT_TRY_STATUS(check_key(a.agency_key(), "agency certificate: agency"));
  const auto cap = clearance_from_int(a.max_clearance());
  if (!cap) return fail(Errc::cert_malformed, "agency certificate: unknown clearance level");
  GCHAT_TRY_STATUS(check_validity(a.validity(), anchor.now, "agency certificate '" + a.agency_id() + "'"));
  if (anchor.revoked && anchor.revoked->agency(a.agency_id())) {
    return fail(Errc::cert_revoked, "agency '" + a.agency_id() + "' is revoked");
  }
  return VerifiedAgency{a.agency_id(), a.name_th(), a.name_en(), bytes_of(a.agency_key()), *cap, a.validity().not_after()};
}

Result<VerifiedAdmin> verify_admin(const v1::AdminChain& chain, const TrustAnchor& anchor) {
  GCHAT_TRY(VerifiedAgency agency, verify_agency(chain.agency(), anchor));
  GCHAT_TRY(auto a, open_signed<v1::AdminCertificate>(SignedKind::admin_certificate, chain.admin(), agency.agency_key,
                                                      "administrator certificate"));
  if (!valid_id(a.admin_id())) return fail(Errc::cert_malformed, "administrator certificate: invalid administrator id");
  GCHAT_TRY_STATUS(check_names(a.name_th(), a.name_en(), "administrator certificate"));
  GCHAT_TRY_STATUS(check_key(a.admin_key(), "administrator certificate: administrator"));
  if (a.agency_id() != agency.agency_id) {
    return fail(Errc::cert_mismatch, "administrator certificate of agency '" + a.agency_id() + "' under agency '" +
                                         agency.agency_id + "'");
  }
  GCHAT_TRY_STATUS(check_validity(a.validity(), anchor.now, "administrator certificate '" + a.admin_id() + "'"));
  if (anchor.revoked && anchor.revoked->admin(a.agency_id(), a.admin_id())) {
    return fail(Errc::cert_revoked, "administrator '" + a.admin_id() + "' is revoked");
  }
  VerifiedAdmin out;
  out.agency = std::move(agency);
  out.admin_id = a.admin_id();
  out.name_th = a.name_th();
  out.name_en = a.name_en();
  out.admin_key = bytes_of(a.admin_key());
  out.not_after = std::min(out.agency.not_after, a.validity().not_after());
  for (int r : a.roles()) {
    if (r == v1::ROLE_UNSPECIFIED) return fail(Errc::cert_malformed, "administrator certificate: unspecified role");
    if (v1::Role_IsValid(r)) out.roles.push_back(static_cast<v1::Role>(r));  // later roles are ignored here
  }
  return out;
}

Status check_user_issuable(const VerifiedAdmin& admin, const v1::UserCertificate& user) {
  return check_user_body(admin, user);
}

Result<v1::UserCertificate> renewal_of(const v1::Signed& current, const v1::AdminChain& current_issuer,
                                       const VerifiedAdmin& renewer, std::uint64_t serial, const v1::Validity& validity) {
  v1::UserCertificate body;
  GCHAT_TRY_STATUS(parse_canonical(as_bytes(current.body()), body, "user certificate"));
  if (body.agency_id() != renewer.agency.agency_id) {
    return fail(Errc::cert_mismatch, "'" + renewer.admin_id + "' of agency '" + renewer.agency.agency_id +
                                         "' may not renew a certificate of agency '" + body.agency_id() + "'");
  }
  v1::UserCertificate out = body;
  if (!renewer.has(v1::USER_ADMIN)) {
    if (!renewer.has(v1::RENEWAL)) {
      return fail(Errc::cert_role_missing, "administrator '" + renewer.admin_id + "' may not renew certificates");
    }
    if (!body.has_basis()) {
      *out.mutable_basis() = current;
      *out.mutable_basis_issuer() = current_issuer;
    }
  } else {
    out.clear_basis();
    out.clear_basis_issuer();
  }
  out.set_serial(serial);
  *out.mutable_validity() = validity;
  out.set_admin_id(renewer.admin_id);
  return out;
}

Status check_renewal(const v1::UserCertificate& current, const v1::UserCertificate& renewed) {
  if (content_of(current) != content_of(renewed)) {
    return fail(Errc::cert_renewal_changed, "a renewal of '" + current.agency_id() + "/" + current.user_id() +
                                                "' changes the person's names, clearance, rights or key");
  }
  if (renewed.serial() == current.serial() || renewed.validity().not_after() <= current.validity().not_after()) {
    return fail(Errc::cert_renewal_changed, "a renewal of '" + current.agency_id() + "/" + current.user_id() +
                                                "' needs a new serial and a later expiry than the certificate it renews");
  }
  return {};
}

Result<VerifiedUser> verify_user(const VerifiedAdmin& admin, const v1::Signed& user, const TrustAnchor& anchor) {
  GCHAT_TRY(auto u, open_signed<v1::UserCertificate>(SignedKind::user_certificate, user, admin.admin_key,
                                                     "user certificate"));
  GCHAT_TRY_STATUS(check_user_body(admin, u));
  if (u.has_basis()) GCHAT_TRY_STATUS(check_basis(u, anchor));
  GCHAT_TRY_STATUS(check_validity(u.validity(), anchor.now, "user certificate '" + u.user_id() + "'"));
  if (anchor.revoked) {
    if (anchor.revoked->user(u.agency_id(), u.user_id())) {
      return fail(Errc::cert_revoked, "user '" + u.user_id() + "' is revoked");
    }
    if (anchor.revoked->user_serial(u.serial())) {
      return fail(Errc::cert_revoked, "user certificate " + std::to_string(u.serial()) + " of '" + u.user_id() +
                                          "' is revoked (superseded)");
    }
  }
  VerifiedUser out;
  out.agency = admin.agency;
  out.admin_id = admin.admin_id;
  out.user_id = u.user_id();
  out.name_th = u.name_th();
  out.name_en = u.name_en();
  out.serial = u.serial();
  if (u.has_basis()) {
    v1::UserCertificate basis;
    if (basis.ParseFromString(u.basis().body())) out.basis_serial = basis.serial();  // checked above
  }
  out.identity_key = bytes_of(u.identity_key());
  out.clearance = *clearance_from_int(u.clearance());
  for (int r : u.rights()) {
    out.may_publish = out.may_publish || r == v1::PUBLISH;
    out.cross_agency = out.cross_agency || r == v1::CROSS_AGENCY_GROUPS;
  }
  out.not_after = std::min(admin.not_after, u.validity().not_after());
  return out;
}

Result<VerifiedDevice> verify_device(const VerifiedUser& user, const v1::Signed& device, const TrustAnchor& anchor) {
  GCHAT_TRY(auto d, open_signed<v1::DeviceCertificate>(SignedKind::device_certificate, device, user.identity_key,
                                                       "device certificate"));
  GCHAT_TRY_STATUS(check_key(d.device_key(), "device certificate: device"));
  if (d.user_id() != user.user_id || d.agency_id() != user.agency.agency_id) {
    return fail(Errc::cert_mismatch, "device certificate names user '" + d.agency_id() + "/" + d.user_id() +
                                         "' but is signed by '" + user.agency.agency_id + "/" + user.user_id + "'");
  }
  if (d.device_name().size() > 200) return fail(Errc::cert_malformed, "device certificate: device name too long");
  GCHAT_TRY_STATUS(check_validity(d.validity(), anchor.now, "device certificate"));
  if (anchor.revoked && anchor.revoked->device(as_bytes(d.device_key()))) {
    return fail(Errc::cert_revoked, "device of '" + user.user_id + "' is revoked");
  }
  VerifiedDevice out;
  out.not_after = std::min(user.not_after, d.validity().not_after());
  out.user = user;
  out.device_key = bytes_of(d.device_key());
  out.device_name = d.device_name();
  return out;
}

Result<VerifiedDevice> verify_chain(const v1::Chain& chain, const TrustAnchor& anchor) {
  v1::AdminChain admin_chain;
  *admin_chain.mutable_agency() = chain.agency();
  *admin_chain.mutable_admin() = chain.admin();
  GCHAT_TRY(VerifiedAdmin admin, verify_admin(admin_chain, anchor));
  GCHAT_TRY(VerifiedUser user, verify_user(admin, chain.user(), anchor));
  return verify_device(user, chain.device(), anchor);
}

std::int64_t earliest_expiry(const v1::Chain& chain) {
  v1::AgencyCertificate agency;
  v1::AdminCertificate admin;
  v1::UserCertificate user;
  v1::DeviceCertificate device;
  if (!agency.ParseFromString(chain.agency().body()) || !admin.ParseFromString(chain.admin().body()) ||
      !user.ParseFromString(chain.user().body()) || !device.ParseFromString(chain.device().body())) {
    return 0;
  }
  return std::min({agency.validity().not_after(), admin.validity().not_after(), user.validity().not_after(),
                   device.validity().not_after()});
}

Result<VerifiedDevice> verify_chain(BytesView chain, const TrustAnchor& anchor) {
  if (chain.size() > kMaxChainSize) {
    return fail(Errc::cert_malformed, "certificate chain of " + std::to_string(chain.size()) + " bytes is above the limit");
  }
  v1::Chain parsed;
  if (!parsed.ParseFromArray(chain.data(), static_cast<int>(chain.size()))) {
    return fail(Errc::cert_malformed, "certificate chain is not a valid encoding");
  }
  return verify_chain(parsed, anchor);
}

}  // namespace gchat::identity
