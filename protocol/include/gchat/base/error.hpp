#pragma once
// Typed errors: a stable numeric code plus a readable message. Codes never change meaning once
// released; new ones are appended inside their area's range.

#include <cstdint>
#include <string>
#include <string_view>

namespace gchat {

enum class Errc : std::uint32_t {
  ok = 0,

  // 100-199: encoding and decoding (TLS presentation language, protobuf, JSON)
  truncated = 100,           // input ended before the structure did
  trailing_data = 101,       // bytes left after a complete structure
  length_out_of_range = 102, // a length prefix exceeds what the input or the limit allows
  invalid_varint = 103,      // non-minimal or reserved MLS varint encoding
  invalid_value = 104,       // an enum or tag outside its allowed values
  malformed = 105,           // any other structural defect

  // 200-299: cryptography
  crypto_failure = 200,      // a primitive failed (bad key, library error)
  bad_signature = 201,
  decrypt_failed = 202,      // AEAD open failed: tampered, wrong key, wrong AAD
  bad_mac = 203,
  unsupported_suite = 204,
  invalid_key = 205,

  // 300-399: MLS protocol
  mls_wrong_epoch = 300,
  mls_wrong_group = 301,
  mls_generation_too_far = 302,   // beyond the out-of-order window
  mls_generation_reused = 303,    // key for that generation already used or deleted
  mls_invalid_sender = 304,
  mls_invalid_message = 305,
  mls_bad_membership_tag = 306,
  mls_bad_confirmation_tag = 307,
  mls_invalid_tree = 308,
  mls_invalid_proposal = 309,
  mls_invalid_commit = 310,
  mls_invalid_credential = 311,
  mls_invalid_key_package = 312,
  mls_invalid_welcome = 313,
  mls_unsupported_capability = 314,  // a leaf lacks what the group requires
  mls_unknown_psk = 315,             // a commit or Welcome names a pre-shared key this member lacks
  mls_group_reinitialized = 316,     // a ReInit was committed: the group is closed for sending

  // 400-499: storage
  storage_failure = 400,
  storage_full = 401,
  storage_corrupt = 402,
  not_found = 403,
  already_exists = 404,

  // 500-599: configuration and I/O
  config_invalid = 500,
  io_failure = 501,

  // 600-699: identity, clearance and group policy
  cert_malformed = 600,           // missing, unparsable, oversized or non-canonical certificate
  cert_bad_signature = 601,       // a signature in the chain does not verify (wrong issuer key, tampering)
  cert_not_yet_valid = 602,
  cert_expired = 603,
  cert_mismatch = 604,            // a certificate does not belong to its issuer (agency, admin or user ids differ)
  cert_role_missing = 605,        // the signing administrator lacks the role the certificate needs
  cert_clearance_above_cap = 606, // a clearance above what the agency may grant
  cert_revoked = 607,
  clearance_too_low = 608,        // a member's clearance is below the group's level
  agency_not_allowed = 609,       // a member's agency is not among the group's allowed agencies
  policy_not_permitted = 610,     // the sender may not do this in this group (not an admin, not a publisher)
  enrolment_refused = 611,        // unknown, used or expired enrolment code
  audit_broken = 612,             // an audit log entry or checkpoint does not verify
  replayed = 613,                 // an administrative act already applied
  cert_renewal_changed = 614,     // a renewal says something other than the certificate it renews

  // 900-999: generic
  invalid_argument = 900,
  internal = 999,
};

// Short stable identifier, e.g. "truncated"; used in logs, CLI output and JSON.
std::string_view errc_name(Errc code) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;

  // "truncated: KeyPackage.init_key ended after 12 of 32 bytes"
  std::string to_string() const;
};

}  // namespace gchat
