// Administrators' acts from a front end: the same signed acts gchat-admin submits (clearance,
// revocation, enrolment, the people of the agency), signed with an administrator key imported
// into this device's sealed store.

#include <sodium.h>

#include "engine.hpp"
#include "gchat/identity/certificate.hpp"
#include "gchat/identity/enrolment.hpp"
#include "gchat/identity/key_file.hpp"

namespace gchat::client {

namespace {

std::string to_str(BytesView b) { return std::string(b.begin(), b.end()); }

constexpr std::uint32_t kDefaultDays = 90;
constexpr std::uint32_t kMaxDays = 3 * 365;
constexpr std::uint32_t kDefaultCodeDays = 7;
constexpr std::uint32_t kMaxCodeDays = 30;

std::uint64_t random_serial() {
  std::uint64_t serial = 0;
  randombytes_buf(&serial, sizeof serial);
  return serial >> 1;  // positive as an int64 too
}

}  // namespace

Status Engine::load_admin() {
  GCHAT_TRY(auto seed, store_->get("admin_seed"));
  GCHAT_TRY(auto chain, store_->get("admin_chain"));
  if (!seed || !chain) return {};
  GCHAT_TRY(auto key, identity::SigningKey::from_seed(*seed));
  if (!admin_chain_.ParseFromArray(chain->data(), static_cast<int>(chain->size()))) {
    return fail(Errc::storage_corrupt, "local store: the administrator chain does not parse");
  }
  const identity::TrustAnchor anchor = trust_anchor();
  GCHAT_TRY(admin_, identity::verify_admin(admin_chain_, anchor));
  admin_key_ = std::move(key);
  return {};
}

void Engine::handle_admin(std::uint64_t id, const api::Request& r) {
  using B = api::Request::BodyCase;
  if (r.body_case() == B::kImportAdminKey) return import_admin_key(id, r.import_admin_key());
  if (!admin_key_) return respond_error(id, {api::NOT_ADMIN, "no administrator key on this device (ImportAdminKey)"});
  switch (r.body_case()) {
    case B::kSetClearance: return set_clearance(id, r.set_clearance());
    case B::kSetChannel: return set_channel(id, r.set_channel());
    case B::kSubscribeAgency: return subscribe_agency(id, r.subscribe_agency());
    case B::kRevokeDevice: {
      if (r.revoke_device().device_key().size() != identity::kPublicKeySize) {
        return respond_error(id, {api::INVALID_ARGUMENT, "device_key must be 32 bytes"});
      }
      idv1::AdminAct act;
      act.set_revoke_device(r.revoke_device().device_key());
      return submit_act(id, std::move(act), [this, id](const pb::AdminActOk& ok) {
        respond(id, [&](api::Response& resp) { resp.mutable_admin()->set_audit_seq(ok.audit_seq()); });
      });
    }
    case B::kRevokeUser: {
      idv1::AdminAct act;
      *act.mutable_revoke_user() = r.revoke_user().user();
      return submit_act(id, std::move(act), [this, id](const pb::AdminActOk& ok) {
        respond(id, [&](api::Response& resp) { resp.mutable_admin()->set_audit_seq(ok.audit_seq()); });
      });
    }
    case B::kListPeople: {
      idv1::AdminAct act;
      act.mutable_list_users();
      return submit_act(id, std::move(act), [this, id](const pb::AdminActOk& ok) {
        respond(id, [&](api::Response& resp) { resp.mutable_admin()->mutable_people()->CopyFrom(ok.users()); });
      });
    }
    case B::kGrantEnrolment: return grant_enrolment(id, r.grant_enrolment());
    case B::kCompleteEnrolments: return complete_enrolments(id, r.complete_enrolments());
    default: return respond_error(id, {api::INVALID_ARGUMENT, "not an administrative request"});
  }
}

void Engine::import_admin_key(std::uint64_t id, const api::ImportAdminKey& r) {
  Bytes pass_bytes(r.passphrase().begin(), r.passphrase().end());
  const SecretBytes pass = SecretBytes::take(pass_bytes);
  auto key = identity::read_key_text(r.key_file(), "the administrator key file", "admin", pass);
  if (!key.ok()) {
    ApiError e = api_error(key.error());
    if (key.error().code == Errc::decrypt_failed) e.code = api::WRONG_PASSPHRASE;
    return respond_error(id, e);
  }
  idv1::AdminChain chain;
  if (r.admin_chain().size() > 64 * 1024 || !chain.ParseFromString(r.admin_chain())) {
    return respond_error(id, {api::INVALID_ARGUMENT, "the administrator chain does not parse"});
  }
  const identity::TrustAnchor anchor = trust_anchor();
  auto admin = identity::verify_admin(chain, anchor);
  if (!admin.ok()) return respond_error(id, api_error(admin.error()));
  if (admin->admin_key != key->public_key()) {
    return respond_error(id, {api::CERTIFICATE, "the key does not belong to this administrator chain"});
  }
  auto s = store_->begin();
  if (s.ok()) s = store_->put("admin_seed", key->seed());
  if (s.ok()) s = store_->put("admin_chain", as_bytes(r.admin_chain()));
  if (s.ok()) s = store_->commit();
  if (!s.ok()) {
    store_->rollback();
    return respond_error(id, api_error(s.error()));
  }
  admin_chain_ = chain;
  admin_ = *admin;
  admin_key_ = std::move(*key);
  respond(id, [&](api::Response& resp) { fill_admin_identity(*resp.mutable_admin_identity()); });
}

void Engine::fill_admin_identity(api::AdminIdentity& a) const {
  a.set_agency_id(admin_.agency.agency_id);
  a.set_admin_id(admin_.admin_id);
  for (auto role : admin_.roles) a.add_roles(role);
}

void Engine::submit_act(std::uint64_t id, idv1::AdminAct act, std::function<void(const pb::AdminActOk&)> done) {
  act.set_issued_at(now_s());
  std::uint64_t nonce = 0;
  randombytes_buf(&nonce, sizeof nonce);
  act.set_nonce(nonce);
  pb::ClientFrame f;
  *f.mutable_submit_admin_act()->mutable_admin() = admin_chain_;
  *f.mutable_submit_admin_act()->mutable_act() = identity::make_signed(identity::SignedKind::admin_act, act, *admin_key_);
  when_online(
      true, std::chrono::seconds(15),
      [this, id, f = std::move(f), done = std::move(done)]() mutable {
        relay(std::move(f), [this, id, done](const pb::ServerFrame& reply) {
          if (reply.has_error()) return respond_error(id, relay_error(reply.error()));
          if (!reply.has_admin_act_ok()) return respond_error(id, {api::INTERNAL, "unexpected answer from the relay"});
          done(reply.admin_act_ok());
        });
      },
      [this, id](ApiError e) { respond_error(id, e); });
}

void Engine::set_clearance(std::uint64_t id, const api::SetClearance& r) {
  idv1::AdminAct query;
  *query.mutable_get_user() = r.user();
  const std::uint32_t days = r.days() == 0 ? kDefaultDays : std::min(r.days(), kMaxDays);
  submit_act(id, std::move(query), [this, id, level = r.level(), days](const pb::AdminActOk& current) {
    idv1::UserCertificate body;
    if (auto s = identity::parse_canonical(as_bytes(current.user_certificate().body()), body, "user certificate"); !s.ok()) {
      return respond_error(id, api_error(s.error()));
    }
    const auto previous = body.clearance();
    body.set_clearance(level);
    body.set_serial(random_serial());
    body.set_admin_id(admin_.admin_id);
    body.mutable_validity()->set_not_before(now_s() - identity::kClockSkewSeconds);
    body.mutable_validity()->set_not_after(now_s() + std::int64_t{days} * 24 * 3600);
    if (auto s = identity::check_user_issuable(admin_, body); !s.ok()) return respond_error(id, api_error(s.error()));
    idv1::AdminAct act;
    *act.mutable_set_clearance() = identity::make_signed(identity::SignedKind::user_certificate, body, *admin_key_);
    submit_act(id, std::move(act), [this, id, previous](const pb::AdminActOk& ok) {
      respond(id, [&](api::Response& resp) {
        resp.mutable_admin()->set_audit_seq(ok.audit_seq());
        resp.mutable_admin()->set_previous(previous);
      });
    });
  });
}

void Engine::grant_enrolment(std::uint64_t id, const api::GrantEnrolment& r) {
  if (!identity::valid_id(r.user_id()) || r.name_th().empty() || r.name_th().size() > 200 || r.name_en().size() > 200) {
    return respond_error(id, {api::INVALID_ARGUMENT, "a person needs a valid user_id and a Thai name"});
  }
  const std::string code = identity::new_enrolment_code();
  const Bytes hash = identity::enrolment_code_hash(*identity::normalized_enrolment_code(code));
  idv1::AdminAct act;
  auto* g = act.mutable_grant_enrolment();
  g->set_code_hash(to_str(hash));
  const std::uint32_t days = r.code_days() == 0 ? kDefaultCodeDays : std::min(r.code_days(), kMaxCodeDays);
  g->set_expires_at(now_s() + std::int64_t{days} * 24 * 3600);
  auto* t = g->mutable_template_();
  t->set_user_id(r.user_id());
  t->set_agency_id(admin_.agency.agency_id);
  t->set_name_th(r.name_th());
  t->set_name_en(r.name_en());
  t->set_clearance(r.level());
  t->mutable_rights()->CopyFrom(r.rights());
  t->set_admin_id(admin_.admin_id);
  idv1::UserCertificate probe = *t;  // the key comes later, from the redeeming device
  probe.set_identity_key(std::string(identity::kPublicKeySize, '\0'));
  if (auto s = identity::check_user_issuable(admin_, probe); !s.ok()) return respond_error(id, api_error(s.error()));
  submit_act(id, std::move(act), [this, id, code](const pb::AdminActOk& ok) {
    respond(id, [&](api::Response& resp) {
      resp.mutable_admin()->set_audit_seq(ok.audit_seq());
      resp.mutable_admin()->set_code(code);
    });
  });
}

void Engine::complete_enrolments(std::uint64_t id, const api::CompleteEnrolments& r) {
  idv1::AdminAct list;
  list.mutable_list_enrolments();
  const std::uint32_t days = r.days() == 0 ? kDefaultDays : std::min(r.days(), kMaxDays);
  submit_act(id, std::move(list), [this, id, days](const pb::AdminActOk& pending) {
    // Each administrator signs what they granted; one act per certificate, one after another.
    auto acts = std::make_shared<std::vector<std::pair<std::string, idv1::AdminAct>>>();
    for (const auto& p : pending.enrolments()) {
      idv1::UserCertificate body = p.template_();
      if (body.admin_id() != admin_.admin_id) continue;
      body.set_serial(random_serial());
      body.set_identity_key(p.identity_key());
      body.mutable_validity()->set_not_before(now_s() - identity::kClockSkewSeconds);
      body.mutable_validity()->set_not_after(now_s() + std::int64_t{days} * 24 * 3600);
      if (!identity::check_user_issuable(admin_, body).ok()) continue;
      idv1::AdminAct act;
      *act.mutable_issue_user() = identity::make_signed(identity::SignedKind::user_certificate, body, *admin_key_);
      acts->emplace_back(body.agency_id() + "/" + body.user_id(), std::move(act));
    }
    issue_enrolments(id, acts, std::make_shared<api::AdminDone>(), 0);
  });
}

void Engine::issue_enrolments(std::uint64_t id, std::shared_ptr<std::vector<std::pair<std::string, idv1::AdminAct>>> acts,
                              std::shared_ptr<api::AdminDone> issued, std::size_t i) {
  if (i == acts->size()) return respond(id, [&](api::Response& resp) { *resp.mutable_admin() = *issued; });
  submit_act(id, (*acts)[i].second, [this, id, acts, issued, i](const pb::AdminActOk& ok) {
    issued->add_issued((*acts)[i].first);
    issued->set_audit_seq(ok.audit_seq());
    issue_enrolments(id, acts, issued, i + 1);
  });
}

}  // namespace gchat::client
