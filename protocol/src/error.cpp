#include "gchat/base/error.hpp"

namespace gchat {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::ok: return "ok";
    case Errc::truncated: return "truncated";
    case Errc::trailing_data: return "trailing_data";
    case Errc::length_out_of_range: return "length_out_of_range";
    case Errc::invalid_varint: return "invalid_varint";
    case Errc::invalid_value: return "invalid_value";
    case Errc::malformed: return "malformed";
    case Errc::crypto_failure: return "crypto_failure";
    case Errc::bad_signature: return "bad_signature";
    case Errc::decrypt_failed: return "decrypt_failed";
    case Errc::bad_mac: return "bad_mac";
    case Errc::unsupported_suite: return "unsupported_suite";
    case Errc::invalid_key: return "invalid_key";
    case Errc::mls_wrong_epoch: return "mls_wrong_epoch";
    case Errc::mls_wrong_group: return "mls_wrong_group";
    case Errc::mls_generation_too_far: return "mls_generation_too_far";
    case Errc::mls_generation_reused: return "mls_generation_reused";
    case Errc::mls_invalid_sender: return "mls_invalid_sender";
    case Errc::mls_invalid_message: return "mls_invalid_message";
    case Errc::mls_bad_membership_tag: return "mls_bad_membership_tag";
    case Errc::mls_bad_confirmation_tag: return "mls_bad_confirmation_tag";
    case Errc::mls_invalid_tree: return "mls_invalid_tree";
    case Errc::mls_invalid_proposal: return "mls_invalid_proposal";
    case Errc::mls_invalid_commit: return "mls_invalid_commit";
    case Errc::mls_invalid_credential: return "mls_invalid_credential";
    case Errc::mls_invalid_key_package: return "mls_invalid_key_package";
    case Errc::mls_invalid_welcome: return "mls_invalid_welcome";
    case Errc::mls_unsupported_capability: return "mls_unsupported_capability";
    case Errc::mls_unknown_psk: return "mls_unknown_psk";
    case Errc::mls_group_reinitialized: return "mls_group_reinitialized";
    case Errc::storage_failure: return "storage_failure";
    case Errc::storage_full: return "storage_full";
    case Errc::storage_corrupt: return "storage_corrupt";
    case Errc::not_found: return "not_found";
    case Errc::already_exists: return "already_exists";
    case Errc::config_invalid: return "config_invalid";
    case Errc::io_failure: return "io_failure";
    case Errc::cert_malformed: return "cert_malformed";
    case Errc::cert_bad_signature: return "cert_bad_signature";
    case Errc::cert_not_yet_valid: return "cert_not_yet_valid";
    case Errc::cert_expired: return "cert_expired";
    case Errc::cert_mismatch: return "cert_mismatch";
    case Errc::cert_role_missing: return "cert_role_missing";
    case Errc::cert_clearance_above_cap: return "cert_clearance_above_cap";
    case Errc::cert_revoked: return "cert_revoked";
    case Errc::cert_renewal_changed: return "cert_renewal_changed";
    case Errc::clearance_too_low: return "clearance_too_low";
    case Errc::agency_not_allowed: return "agency_not_allowed";
    case Errc::policy_not_permitted: return "policy_not_permitted";
    case Errc::enrolment_refused: return "enrolment_refused";
    case Errc::audit_broken: return "audit_broken";
    case Errc::replayed: return "replayed";
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const {
  std::string out(errc_name(code));
  if (!message.empty()) {
    out += ": ";
    out += message;
  }
  return out;
}

}  // namespace gchat
