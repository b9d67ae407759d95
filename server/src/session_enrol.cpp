// Enrolment with one-time codes, and the administrators' queries. The flow:
//   administrator: grant_enrolment {code hash, certificate template}      (gchat-admin enrol grant)
//   new device:    RedeemEnrolment {code, identity public key}             (before any authentication)
//   administrator: list_enrolments, then issue_user {signed certificate}   (gchat-admin enrol complete)
//   new device:    CollectCertificate {code} -> certificate + issuer chain, then signs its device
//                  certificate and authenticates like any device.
#include "admin_util.hpp"
#include "certificates.hpp"
#include "gchat/identity/enrolment.hpp"
#include "gchat/server/audit_log.hpp"
#include "gchat/server/log.hpp"
#include "gchat/server/relay.hpp"
#include "gchat/server/session.hpp"
#include "wire.hpp"

namespace gchat::server {

namespace {

namespace v1 = identity::v1;
using wire::now_ms;
using wire::to_string;

// The longest an enrolment code may stay open.
constexpr std::int64_t kMaxEnrolmentSeconds = 30 * 24 * 3600;

bool same_template(const v1::UserCertificate& issued, const v1::UserCertificate& planned) {
  v1::UserCertificate a = issued, b = planned;
  a.clear_identity_key();
  b.clear_identity_key();
  // The serial and validity are the administrator's to set when signing.
  a.clear_serial();
  b.clear_serial();
  a.clear_validity();
  b.clear_validity();
  return a.SerializeAsString() == b.SerializeAsString();
}

}  // namespace

void Session::handle_enrolment_act(std::uint64_t rid, const identity::VerifiedAdmin& admin, const v1::AdminChain& chain,
                                   const v1::AdminAct& act, const std::string& act_body) {
  // Clearance officers and the issuing service read the people they change or renew.
  const bool query = act.has_get_user() || act.has_list_users();
  if (!admin.has(v1::USER_ADMIN) &&
      !(query && (admin.has(v1::CLEARANCE_OFFICER) || admin.has(v1::RENEWAL)))) {
    return send_error(rid, pb::FORBIDDEN, "administrator '" + admin.admin_id + "' may not enrol users");
  }
  const std::string agency = admin.agency.agency_id;
  const std::string actor = agency + "/" + admin.admin_id;
  const std::int64_t now_s = static_cast<std::int64_t>(now_ms() / 1000);
  const Bytes act_id = act_id_of(act_body);
  auto reply = std::make_shared<pb::AdminActOk>();
  Relay* relay = &relay_;
  std::function<Status(Store&, Outcome&)> run;

  if (act.has_grant_enrolment()) {
    const auto& g = act.grant_enrolment();
    v1::UserCertificate probe = g.template_();
    probe.set_identity_key(std::string(32, '\0'));
    if (auto st = identity::check_user_issuable(admin, probe); !st.ok()) {
      return send_error(rid, pb::FORBIDDEN, st.error().to_string());
    }
    if (g.code_hash().size() != 32) return send_error(rid, pb::INVALID_ARGUMENT, "code_hash is 32 bytes");
    if (g.expires_at() <= now_s || g.expires_at() > now_s + kMaxEnrolmentSeconds) {
      return send_error(rid, pb::INVALID_ARGUMENT, "an enrolment code expires within 30 days");
    }
    EnrolmentRecord record;
    record.code_hash = wire::to_bytes(g.code_hash());
    record.agency_id = agency;
    record.admin_id = admin.admin_id;
    record.grant = wire::to_bytes(g.SerializeAsString());
    record.expires_at = g.expires_at();
    const std::string who = agency + "/" + g.template_().user_id();
    run = [=](Store& store, Outcome& o) -> Status {
      GCHAT_TRY_STATUS(claim_act(store, o, act_id));
      auto added = store.add_enrolment(record);
      if (!added.ok() && added.error().code == Errc::already_exists) {
        return reject(o, pb::INVALID_ARGUMENT, "this enrolment code is already in use");
      }
      GCHAT_TRY_STATUS(added);
      GCHAT_TRY(auto seq, append_audit(store, *relay, "enrolment_granted", actor, who,
                                       "clearance " + std::to_string(g.template_().clearance())));
      reply->set_audit_seq(seq);
      return {};
    };
  } else if (act.has_issue_user()) {
    auto user = identity::verify_user(admin, act.issue_user(), identity::TrustAnchor{relay_.root_key(), now_s, nullptr});
    if (!user.ok()) return send_error(rid, pb::FORBIDDEN, user.error().to_string());
    v1::UserCertificate body;
    body.ParseFromString(act.issue_user().body());
    auto records = certificate_records(act.issue_user(), chain);
    if (!records.ok()) return send_error(rid, pb::CERTIFICATE_REJECTED, records.error().to_string());
    const std::string certificate = act.issue_user().SerializeAsString();
    const std::string issuer = chain.SerializeAsString();
    const std::string who = agency + "/" + body.user_id();
    run = [=, records = std::move(*records)](Store& store, Outcome& o) -> Status {
      GCHAT_TRY_STATUS(claim_act(store, o, act_id));
      GCHAT_TRY(auto pending, store.pending_enrolments(agency));
      const EnrolmentRecord* match = nullptr;
      for (const auto& p : pending) {
        v1::EnrolmentGrant g;
        g.ParseFromArray(p.grant.data(), static_cast<int>(p.grant.size()));
        if (p.identity_key == wire::to_bytes(body.identity_key()) && same_template(body, g.template_()))
          match = &p;
      }
      if (!match) {
        return reject(o, pb::ENROLMENT_REFUSED, "no redeemed enrolment code matches this certificate");
      }
      GCHAT_TRY_STATUS(store.complete_enrolment(match->code_hash, as_bytes(certificate), as_bytes(issuer)));
      GCHAT_TRY_STATUS(store_certificate(store, records));
      GCHAT_TRY(auto seq, append_audit(store, *relay, "user_enrolled", actor, who,
                                       "clearance " + std::to_string(body.clearance()) + ", serial " +
                                           std::to_string(body.serial())));
      reply->set_audit_seq(seq);
      o.after_commit = [relay] { refresh_expiry_gauges(*relay); };
      return {};
    };
  } else if (act.has_list_enrolments()) {
    run = [=](Store& store, Outcome&) -> Status {
      GCHAT_TRY(auto pending, store.pending_enrolments(agency));
      for (const auto& p : pending) {
        v1::EnrolmentGrant g;
        g.ParseFromArray(p.grant.data(), static_cast<int>(p.grant.size()));
        auto* e = reply->add_enrolments();
        e->set_code_hash(to_string(p.code_hash));
        *e->mutable_template_() = g.template_();
        e->set_identity_key(to_string(p.identity_key));
        e->set_redeemed_at(p.redeemed_ms / 1000);
      }
      return {};
    };
  } else if (act.has_list_users()) {
    run = [=](Store& store, Outcome&) -> Status {
      GCHAT_TRY(auto users, store.users_of_agency(agency));
      const auto revoked = relay->revocations();
      for (const auto& u : users) {
        auto* out = reply->add_users();
        out->set_user_id(u.user_id);
        out->set_clearance(static_cast<v1::Clearance>(u.clearance));
        out->set_devices(u.devices);
        out->set_revoked_devices(u.revoked_devices);
        out->set_not_after(u.not_after);
        out->set_serial(u.serial);
        out->set_revoked(u.revoked || revoked->user(agency, u.user_id));
      }
      return {};
    };
  } else {
    const auto& who = act.get_user();
    if (who.agency_id() != agency) {
      return send_error(rid, pb::FORBIDDEN, "administrators of '" + agency + "' may not read users of '" +
                                                who.agency_id() + "'");
    }
    const Bytes root_key = relay_.root_key();
    run = [=](Store& store, Outcome& o) -> Status {
      GCHAT_TRY(auto current, current_certificate_of(store, who.agency_id(), who.user_id()));
      if (!current) return reject(o, pb::UNKNOWN_DEVICE, "no certificate of this user is known to the relay");
      reply->mutable_user_certificate()->ParseFromArray(current->certificate.data(),
                                                        static_cast<int>(current->certificate.size()));
      // What an issuing service puts in a renewal as the basis's issuer.
      GCHAT_TRY(auto issuer, issuer_for_basis(store, root_key, *current));
      reply->mutable_user_issuer()->ParseFromArray(issuer.data(), static_cast<int>(issuer.size()));
      return {};
    };
  }
  with_store(std::move(run), admin_act_reply(rid, reply, actor));
}

void Session::handle_enrolment(std::uint64_t rid, const std::string& code_text, const std::string* identity_key) {
  if (!relay_.certificate_mode()) return send_error(rid, pb::NOT_SUPPORTED, "this relay pins no government root");
  const auto code = identity::normalized_enrolment_code(code_text);
  if (!code) return send_error(rid, pb::ENROLMENT_REFUSED, "this is not an enrolment code (20 letters and digits)");
  if (identity_key && identity_key->size() != 32) {
    return send_error(rid, pb::INVALID_ARGUMENT, "identity_key must be a 32-byte Ed25519 public key");
  }
  const Bytes hash = identity::enrolment_code_hash(*code);
  const std::optional<Bytes> key = identity_key ? std::optional<Bytes>(wire::to_bytes(*identity_key)) : std::nullopt;
  auto status = std::make_shared<pb::EnrolmentStatus>();
  Relay* relay = &relay_;
  with_store(
      [=](Store& store, Outcome& o) -> Status {
        GCHAT_TRY(auto found, store.find_enrolment(hash));
        if (!found) return reject(o, pb::ENROLMENT_REFUSED, "unknown enrolment code");
        if (key) {
          if (found->redeemed_ms != 0) {
            if (found->identity_key == *key) return {};  // a retry of the same redemption
            return reject(o, pb::REPLAYED, "this enrolment code was already used");
          }
          if (found->expires_at <= static_cast<std::int64_t>(now_ms() / 1000)) {
            return reject(o, pb::ENROLMENT_REFUSED, "this enrolment code has expired; ask for a new one");
          }
          GCHAT_TRY_STATUS(store.redeem_enrolment(hash, *key, now_ms()));
          v1::EnrolmentGrant g;
          g.ParseFromArray(found->grant.data(), static_cast<int>(found->grant.size()));
          GCHAT_TRY_STATUS(append_audit(store, *relay, "enrolment_redeemed", found->agency_id + "/" + g.template_().user_id(),
                                        log::fingerprint(*key), "awaiting " + found->admin_id));
          return {};
        }
        if (found->redeemed_ms == 0) return reject(o, pb::ENROLMENT_REFUSED, "redeem the code first");
        if (!found->certificate.empty()) {
          status->set_issued(true);
          status->mutable_user_certificate()->ParseFromArray(found->certificate.data(),
                                                             static_cast<int>(found->certificate.size()));
          status->mutable_issuer()->ParseFromArray(found->issuer_chain.data(),
                                                   static_cast<int>(found->issuer_chain.size()));
        }
        return {};
      },
      [rid, status](Session& s, Outcome& o) {
        if (!o.status.ok()) return s.send_outcome_error(rid, o);
        pb::ServerFrame f;
        f.set_request_id(rid);
        *f.mutable_enrolment_status() = *status;
        s.send_frame(f);
      });
}

}  // namespace gchat::server
