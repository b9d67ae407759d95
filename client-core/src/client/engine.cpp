// The engine's identity, store and relay-connection halves (conversations and messages are in
// engine_groups.cpp and engine_messages.cpp).

#include "engine.hpp"
#include "gchat/identity/channel.hpp"

#include <sodium.h>

#include <chrono>

#include "gchat/identity/certificate.hpp"
#include "gchat/relay/auth.hpp"

namespace gchat::client {

namespace {

constexpr auto kOnlineWait = std::chrono::seconds(15);
constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr std::uint32_t kKeyPackageLow = 10;
constexpr std::uint32_t kKeyPackageBatch = 20;
constexpr std::int64_t kKeyPackageLifetime = 60ll * 24 * 3600;

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string to_str(BytesView b) { return std::string(b.begin(), b.end()); }

// A one-time key package's private half, as kept in the store: the encoded KeyPackage, then the
// two 32-byte private keys.
Bytes pack_bundle(const mls::KeyPackageBundle& b) {
  Bytes kp = codec::encode(b.key_package);
  Bytes out;
  const auto n = static_cast<std::uint32_t>(kp.size());
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(n >> (8 * i)));
  out.insert(out.end(), kp.begin(), kp.end());
  out.insert(out.end(), b.init_private_key.view().begin(), b.init_private_key.view().end());
  out.insert(out.end(), b.encryption_private_key.view().begin(), b.encryption_private_key.view().end());
  return out;
}

}  // namespace

Result<mls::KeyPackageBundle> unpack_bundle(BytesView data) {
  if (data.size() < 4) return fail(Errc::storage_corrupt, "local store: a key package is truncated");
  const std::uint32_t n = static_cast<std::uint32_t>(data[0]) << 24 | static_cast<std::uint32_t>(data[1]) << 16 |
                          static_cast<std::uint32_t>(data[2]) << 8 | data[3];
  if (data.size() != 4 + std::size_t{n} + 64) return fail(Errc::storage_corrupt, "local store: a key package is malformed");
  mls::KeyPackageBundle b;
  GCHAT_TRY(b.key_package, codec::decode_exact<mls::KeyPackage>(data.subspan(4, n)));
  b.init_private_key = SecretBytes(data.subspan(4 + n, 32));
  b.encryption_private_key = SecretBytes(data.subspan(4 + n + 32, 32));
  return b;
}

ApiError api_error(const Error& e) {
  ApiError out{api::INTERNAL, e.to_string(), 0};
  switch (e.code) {
    case Errc::clearance_too_low:
    case Errc::agency_not_allowed: out.code = api::NOT_CLEARED; break;
    case Errc::policy_not_permitted: out.code = api::NOT_PERMITTED; break;
    case Errc::storage_failure:
    case Errc::storage_full:
    case Errc::storage_corrupt:
    case Errc::io_failure: out.code = api::STORAGE; break;
    case Errc::not_found: out.code = api::NOT_FOUND; break;
    case Errc::invalid_argument:
    case Errc::config_invalid:
    case Errc::truncated:
    case Errc::trailing_data:
    case Errc::length_out_of_range:
    case Errc::invalid_value:
    case Errc::malformed: out.code = api::INVALID_ARGUMENT; break;
    default:
      if (static_cast<std::uint32_t>(e.code) >= 600 && static_cast<std::uint32_t>(e.code) < 608) {
        out.code = api::CERTIFICATE;
      }
  }
  return out;
}

ApiError relay_error(const pb::Error& e) {
  ApiError out{api::RELAY_REFUSED, "the relay refused: " + e.message(), e.code()};
  switch (e.code()) {
    case pb::POLICY_REJECTED: out.code = api::NOT_CLEARED; break;
    case pb::INVALID_HANDSHAKE: out.code = api::CONFLICT; break;
    case pb::SHUTTING_DOWN: out.code = api::OFFLINE; break;
    case pb::ENROLMENT_REFUSED: out.code = api::INVALID_ARGUMENT; break;
    case pb::NOT_CLEARED: out.code = api::NOT_CLEARED; break;
    case pb::NOT_A_PUBLISHER: out.code = api::NOT_PERMITTED; break;
    case pb::GROUP_NOT_FOUND: out.code = api::NOT_FOUND; break;
    default: break;
  }
  return out;
}

Engine::Engine(asio::io_context& ioc, api::Config config, Emit emit)
    : ioc_(ioc),
      config_(std::move(config)),
      emit_(std::move(emit)),
      rng_(std::random_device{}()),
      retry_timer_(ioc),
      link_timer_(ioc),
      batch_timer_(ioc) {
  suite_ = *crypto::CipherSuite::from_id(crypto::kDefaultSuite);
  state_.set_state(api::ConnectionState::OFFLINE);
}

Engine::~Engine() { shutdown(); }

void Engine::shutdown() {
  if (store_) settle();
  stopping_ = true;
  retry_timer_.cancel();
  link_timer_.cancel();
  for (auto& w : waiters_) w->timer->cancel();
  waiters_.clear();
  if (conn_) conn_->close();
  conn_.reset();
}

std::int64_t Engine::now_s() const {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
std::int64_t Engine::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---------------------------------------------------------------------------------------------
// Outputs

void Engine::output(api::Output out) {
  // While a batch of deliveries is not durable yet, what it produced waits with it (in order).
  if (batch_open_) return deferred_.push_back(std::move(out));
  emit_(std::move(out));
}

void Engine::respond(std::uint64_t id, const std::function<void(api::Response&)>& fill) {
  if (id == kOwnRequest) return;  // the engine's own (Client gives every caller's request an id)
  api::Output out;
  auto* r = out.mutable_response();
  r->set_request_id(id);
  fill(*r);
  output(std::move(out));
}

void Engine::respond_error(std::uint64_t id, const ApiError& e) {
  if (id == kOwnRequest) return problem(e);
  respond(id, [&](api::Response& r) {
    r.mutable_error()->set_code(e.code);
    r.mutable_error()->set_message(e.message);
    r.mutable_error()->set_relay_code(e.relay_code);
  });
}

void Engine::event(const std::function<void(api::Event&)>& fill) {
  api::Output out;
  fill(*out.mutable_event());
  output(std::move(out));
}

void Engine::problem(const ApiError& e) {
  event([&](api::Event& ev) {
    ev.mutable_problem()->set_code(e.code);
    ev.mutable_problem()->set_message(e.message);
    ev.mutable_problem()->set_relay_code(e.relay_code);
  });
}

// ---------------------------------------------------------------------------------------------
// Requests

void Engine::handle(api::Request request) {
  using B = api::Request::BodyCase;
  const std::uint64_t id = request.request_id();
  if (stopping_) return;
  // Posts join the open write batch; everything else starts from a settled store.
  const bool post = request.body_case() == B::kSendText || request.body_case() == B::kForward ||
                    request.body_case() == B::kMarkRead;
  if (!post) settle();
  if (request.body_case() == B::kOpen) return open(id, request.open());
  if (request.body_case() == B::kStatus) return status(id);
  if (!store_) return respond_error(id, {api::NOT_OPEN, "open the local store first"});
  switch (request.body_case()) {
    case B::kImportAdminKey:
    case B::kSetClearance:
    case B::kRevokeDevice:
    case B::kRevokeUser:
    case B::kListPeople:
    case B::kGrantEnrolment:
    case B::kCompleteEnrolments:
    case B::kSetChannel:
    case B::kSubscribeAgency: return handle_admin(id, request);
    case B::kEnrol: return enrol(id, request.enrol());
    case B::kRequestLink: return request_link(id);
    case B::kCompleteLink: return complete_link(id, request.complete_link());
    default: break;
  }
  if (!enrolled()) return respond_error(id, {api::NOT_ENROLLED, "this device is not enrolled yet"});
  const bool needs_relay = request.body_case() == B::kCreateConversation || request.body_case() == B::kAddMembers ||
                           request.body_case() == B::kRemoveMembers || request.body_case() == B::kListChannels ||
                           request.body_case() == B::kChangeConversation ||
                           request.body_case() == B::kSubscribe || request.body_case() == B::kUnsubscribe ||
                           request.body_case() == B::kFindPeople || request.body_case() == B::kListDevices ||
                           request.body_case() == B::kRemoveDevice;
  if (!loaded_ || (needs_relay && !authenticated_)) {
    // Conversations are loaded once the relay's key is known (first connection); membership
    // changes need the relay now (sending a message does not: it waits in the outbox).
    return when_online(
        false, kOnlineWait, [this, r = std::move(request)]() mutable { handle(std::move(r)); },
        [this, id](ApiError e) { respond_error(id, e); });
  }
  switch (request.body_case()) {
    case B::kApproveLink: return approve_link(id, request.approve_link());
    case B::kListConversations: return list_conversations(id);
    case B::kCreateConversation: return create_conversation(id, request.create_conversation());
    case B::kAddMembers:
      return change_members(id, to_bytes(request.add_members().conversation_id()), request.add_members().members(), true);
    case B::kRemoveMembers:
      return change_members(id, to_bytes(request.remove_members().conversation_id()),
                            request.remove_members().members(), false);
    case B::kLeave: return leave(id, request.leave());
    case B::kChangeConversation: return change_conversation(id, request.change_conversation());
    case B::kSendText: return send_text(id, request.send_text());
    case B::kForward: return forward(id, request.forward());
    case B::kMarkRead: return mark_read(id, request.mark_read());
    case B::kHistory: return history(id, request.history());
    case B::kSearch: return search(id, request.search());
    case B::kListChannels: return list_channels(id);
    case B::kSubscribe: return subscribe(id, to_bytes(request.subscribe().channel_id()), false);
    case B::kUnsubscribe: return subscribe(id, to_bytes(request.unsubscribe().channel_id()), true);
    case B::kFindPeople: return find_people(id, request.find_people());
    case B::kListDevices: return list_devices(id);
    case B::kRemoveDevice: return remove_device(id, request.remove_device());
    default: return respond_error(id, {api::INVALID_ARGUMENT, "empty or unknown request"});
  }
}

void Engine::open(std::uint64_t id, const api::Open& r) {
  if (store_) return respond_error(id, {api::INVALID_ARGUMENT, "the local store is already open"});
  if (config_.data_dir().empty()) return respond_error(id, {api::INVALID_ARGUMENT, "the configuration has no data_dir"});
  if (config_.root_key().size() != identity::kPublicKeySize) {
    return respond_error(id, {api::INVALID_ARGUMENT, "the configuration has no 32-byte root_key"});
  }
  Result<std::unique_ptr<Store>> opened = fail(Errc::invalid_argument, "Open needs a passphrase or a platform key");
  if (r.key_case() == api::Open::kPassphrase) {
    auto strength = parse_kdf(config_.kdf());
    if (!strength.ok()) return respond_error(id, api_error(strength.error()));
    opened = Store::open_with_passphrase(config_.data_dir(), r.passphrase(), *strength);
  } else if (r.key_case() == api::Open::kPlatformKey) {
    opened = Store::open_with_key(config_.data_dir(), as_bytes(r.platform_key()));
  }
  if (!opened.ok()) {
    ApiError e = api_error(opened.error());
    if (opened.error().code == Errc::decrypt_failed) e.code = api::WRONG_PASSPHRASE;
    return respond_error(id, e);
  }
  store_ = std::move(*opened);
  if (auto s = load_identity(); !s.ok()) {
    store_.reset();
    return respond_error(id, api_error(s.error()));
  }
  respond(id, [&](api::Response& resp) {
    resp.mutable_opened()->set_enrolled(enrolled());
    if (enrolled()) *resp.mutable_opened()->mutable_self() = self_sender();
  });
  tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  tls_->set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  {
    boost::system::error_code ec;
    if (!config_.ca_file().empty()) {
      tls_->load_verify_file(config_.ca_file(), ec);
    } else {
      tls_->set_default_verify_paths(ec);
    }
    if (ec) problem({api::INVALID_ARGUMENT, "cannot load the relay CA: " + ec.message()});
  }
  if (config_.endpoints().empty()) {
    problem({api::INVALID_ARGUMENT, "the configuration lists no relay endpoint"});
    return;
  }
  connect();
}

Status Engine::load_identity() {
  GCHAT_TRY(auto relay_key, store_->get("relay_key"));
  GCHAT_TRY(auto relay_id, store_->get("relay_id"));
  if (relay_key) relay_key_ = Bytes(relay_key->view().begin(), relay_key->view().end());
  if (relay_id) relay_id_ = std::string(relay_id->view().begin(), relay_id->view().end());
  GCHAT_TRY_STATUS(load_admin());
  GCHAT_TRY(auto user_seed, store_->get("user_seed"));
  if (user_seed) {
    GCHAT_TRY(user_key_, identity::SigningKey::from_seed(*user_seed));
  }
  GCHAT_TRY(auto device_seed, store_->get("device_seed"));
  GCHAT_TRY(auto chain, store_->get("chain"));
  if (!device_seed || !chain) return {};
  GCHAT_TRY(auto key, identity::SigningKey::from_seed(*device_seed));
  if (!chain_.ParseFromArray(chain->data(), static_cast<int>(chain->size()))) {
    return fail(Errc::storage_corrupt, "local store: the certificate chain does not parse");
  }
  chain_bytes_ = Bytes(chain->view().begin(), chain->view().end());
  // The chain is checked against the root now; expiry shows up as CERTIFICATE at the relay.
  const identity::TrustAnchor anchor = trust_anchor();
  auto verified = identity::verify_chain(chain_, anchor);
  if (!verified.ok() && verified.error().code == Errc::cert_expired) {
    // Expired while this device was away: it opens all the same (its history is the person's) and
    // asks the relay for the renewed certificate before its first Hello.
    identity::TrustAnchor last = anchor;
    last.now = certificate_expiry() - 1;
    verified = identity::verify_chain(chain_, last);
    need_certificate_ = true;
  }
  GCHAT_TRY(self_, std::move(verified));
  GCHAT_TRY(mls_id_, identity::mls_identity(chain_, key));
  device_key_ = std::move(key);
  if (!relay_key_.empty()) return load_conversations();
  return {};
}

Status Engine::load_conversations() {
  // A handshake is judged as of when the relay accepted it (it checked the sender's chain then):
  // a member catching up on weeks of commits does not refuse one whose committer's certificate has
  // expired since. Revocation is the current list's, whatever the time.
  verifier_ = std::make_shared<identity::MemberVerifier>(to_bytes(config_.root_key()), relay_key_,
                                                         [this] { return as_of_ ? *as_of_ : now_s(); });
  GCHAT_TRY(auto rows, store_->load_groups());
  for (auto& row : rows) {
    Conv c;
    if (!c.info.ParseFromArray(row.info.data(), static_cast<int>(row.info.size()))) {
      return fail(Errc::storage_corrupt, "local store: a conversation does not parse");
    }
    if (c.info.kind() == idv1::CHANNEL && !identity::channel_of_publishers_group(row.group_id)) {
      GCHAT_TRY_STATUS(load_channel(c, row.state));
    } else if (!row.state.empty()) {
      GCHAT_TRY(c.group, mls::Group::deserialize(*suite_, row.state, *mls_id_, rules()));
    }
    c.next_seq = row.next_seq;
    c.pending_commit = row.pending_commit;
    c.pending_welcome = row.pending_welcome;
    // A commit that went out before a restart: adopted if it comes back, dropped once caught up.
    if (!row.pending_state.empty()) {
      GCHAT_TRY(c.pending_group, mls::Group::deserialize(*suite_, row.pending_state, *mls_id_, rules()));
    }
    convs_.emplace(row.group_id, std::move(c));
  }
  loaded_ = true;
  return {};
}

identity::TrustAnchor Engine::trust_anchor() const {
  return identity::TrustAnchor{to_bytes(config_.root_key()), now_s(), nullptr};
}

// After a failed store transaction memory is ahead of disk: every conversation is loaded again.
void Engine::reload_from_disk() {
  convs_.clear();
  loaded_ = false;
  if (auto s = load_conversations(); !s.ok()) problem(api_error(s.error()));
}

api::Person Engine::person_of(const identity::VerifiedUser& u) const {
  api::Person p;
  p.set_agency_id(u.agency.agency_id);
  p.set_user_id(u.user_id);
  p.set_name_th(u.name_th);
  p.set_name_en(u.name_en);
  p.set_agency_name_th(u.agency.name_th);
  p.set_agency_name_en(u.agency.name_en);
  p.set_clearance(static_cast<idv1::Clearance>(u.clearance));
  return p;
}

api::Sender Engine::sender_of(const identity::VerifiedDevice& d) const {
  api::Sender s;
  *s.mutable_person() = person_of(d.user);
  s.set_device_key(to_str(d.device_key));
  s.set_device_name(d.device_name);
  return s;
}

api::Sender Engine::self_sender() const { return sender_of(self_); }

void Engine::status(std::uint64_t id) {
  respond(id, [&](api::Response& r) {
    auto* s = r.mutable_status();
    s->set_open(store_ != nullptr);
    s->set_enrolled(enrolled());
    if (enrolled()) *s->mutable_self() = self_sender();
    *s->mutable_connection() = state_;
    if (admin_key_) fill_admin_identity(*s->mutable_admin());
    if (store_) {
      auto queued = store_->outbox();
      if (queued.ok()) s->set_queued(static_cast<std::uint32_t>(queued->size()));
      s->set_undecryptable(undecryptable_);
    }
    if (enrolled()) s->set_certificate_not_after(certificate_expiry());
  });
}

// ---------------------------------------------------------------------------------------------
// Enrolment and linking

void Engine::enrol(std::uint64_t id, const api::Enrol& r) {
  if (enrolled()) return respond_error(id, {api::ALREADY_ENROLLED, "this device is already enrolled"});
  if (r.code().empty() || r.code().size() > 64) return respond_error(id, {api::INVALID_ARGUMENT, "the code is missing"});
  // The identity key is made once per code and kept, so that asking again collects for the same key.
  auto pending = store_->get("enrol_code");
  auto seed = store_->get("enrol_user_seed");
  if (!pending.ok() || !seed.ok()) return respond_error(id, api_error(!pending.ok() ? pending.error() : seed.error()));
  std::optional<identity::SigningKey> key;
  if (*pending && *seed && to_str((*pending)->view()) == r.code()) {
    auto k = identity::SigningKey::from_seed(**seed);
    if (!k.ok()) return respond_error(id, api_error(k.error()));
    key = std::move(*k);
  } else {
    key = identity::SigningKey::generate();
    if (auto s = store_->put("enrol_code", as_bytes(r.code())); !s.ok()) return respond_error(id, api_error(s.error()));
    if (auto s = store_->put("enrol_user_seed", key->seed()); !s.ok()) return respond_error(id, api_error(s.error()));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(r.wait_ms());
  const std::string code = r.code();
  const Bytes identity_key = key->public_key();
  when_online(
      true, kOnlineWait,
      [this, id, code, identity_key, deadline] {
        pb::ClientFrame f;
        f.mutable_redeem_enrolment()->set_code(code);
        f.mutable_redeem_enrolment()->set_identity_key(to_str(identity_key));
        relay(std::move(f), [this, id, code, deadline](const pb::ServerFrame& reply) {
          // REPLAYED: redeemed already (by this device, before); collect.
          if (reply.has_error() && reply.error().code() != pb::REPLAYED) return respond_error(id, relay_error(reply.error()));
          collect(id, code, deadline);
        });
      },
      [this, id](ApiError e) { respond_error(id, e); });
}

void Engine::collect(std::uint64_t id, std::string code, std::chrono::steady_clock::time_point deadline) {
  pb::ClientFrame f;
  f.mutable_collect_certificate()->set_code(code);
  relay(std::move(f), [this, id, code, deadline](const pb::ServerFrame& reply) {
    if (reply.has_error()) return respond_error(id, relay_error(reply.error()));
    const auto& st = reply.enrolment_status();
    if (!st.issued()) {
      if (std::chrono::steady_clock::now() >= deadline) {
        return respond_error(id, {api::PENDING, "the administrator has not issued the certificate yet; ask again later"});
      }
      auto timer = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(500));
      timer->async_wait([this, timer, id, code, deadline](boost::system::error_code ec) {
        if (!ec && !stopping_) collect(id, code, deadline);
      });
      return;
    }
    auto seed = store_->get("enrol_user_seed");
    if (!seed.ok() || !*seed) return respond_error(id, {api::INTERNAL, "the enrolment key is gone"});
    auto user_key = identity::SigningKey::from_seed(**seed);
    if (!user_key.ok()) return respond_error(id, api_error(user_key.error()));
    idv1::Chain chain;
    *chain.mutable_agency() = st.issuer().agency();
    *chain.mutable_admin() = st.issuer().admin();
    *chain.mutable_user() = st.user_certificate();
    auto device = identity::SigningKey::generate();
    idv1::UserCertificate user;
    if (!user.ParseFromString(st.user_certificate().body()) || !same_bytes(as_bytes(user.identity_key()), user_key->public_key())) {
      return respond_error(id, {api::CERTIFICATE, "the issued certificate is not for this device's key"});
    }
    idv1::DeviceCertificate body;
    body.set_serial(randombytes_random());
    body.set_user_id(user.user_id());
    body.set_agency_id(user.agency_id());
    body.set_device_key(to_str(device.public_key()));
    body.set_device_name(config_.device_name().empty() ? "device" : config_.device_name());
    *body.mutable_validity() = device_validity();
    *chain.mutable_device() = identity::make_signed(identity::SignedKind::device_certificate, body, *user_key);
    if (auto s = store_->put("user_seed", user_key->seed()); !s.ok()) return respond_error(id, api_error(s.error()));
    if (auto s = finish_enrolment(chain, device); !s.ok()) return respond_error(id, api_error(s.error()));
    user_key_ = std::move(*user_key);
    (void)store_->erase("enrol_code");
    (void)store_->erase("enrol_user_seed");
    respond(id, [&](api::Response& r) { *r.mutable_enrolled() = self_sender(); });
  });
}

Status Engine::finish_enrolment(const idv1::Chain& chain, const identity::SigningKey& device) {
  const identity::TrustAnchor anchor = trust_anchor();
  GCHAT_TRY(auto verified, identity::verify_chain(chain, anchor));
  if (verified.device_key != device.public_key()) {
    return fail(Errc::cert_mismatch, "the chain certifies another device key");
  }
  const std::string bytes = chain.SerializeAsString();
  GCHAT_TRY_STATUS(store_->begin());
  auto s1 = store_->put("device_seed", device.seed());
  auto s2 = s1.ok() ? store_->put("chain", as_bytes(bytes)) : s1;
  if (!s2.ok()) {
    store_->rollback();
    return s2;
  }
  GCHAT_TRY_STATUS(store_->commit());
  GCHAT_TRY_STATUS(load_identity());
  // Authenticate on the open connection, or on the next one.
  if (open_ && !authenticated_) on_open();
  return {};
}

void Engine::request_link(std::uint64_t id) {
  if (enrolled()) return respond_error(id, {api::ALREADY_ENROLLED, "this device is already enrolled"});
  auto seed = store_->get("link_device_seed");
  if (!seed.ok()) return respond_error(id, api_error(seed.error()));
  std::optional<identity::SigningKey> key;
  if (*seed) {
    auto k = identity::SigningKey::from_seed(**seed);
    if (!k.ok()) return respond_error(id, api_error(k.error()));
    key = std::move(*k);
  } else {
    key = identity::SigningKey::generate();
    if (auto s = store_->put("link_device_seed", key->seed()); !s.ok()) return respond_error(id, api_error(s.error()));
  }
  respond(id, [&](api::Response& r) { r.mutable_link_requested()->set_device_key(to_str(key->public_key())); });
}

void Engine::approve_link(std::uint64_t id, const api::ApproveLink& r) {
  if (!user_key_) {
    return respond_error(id, {api::NOT_PERMITTED, "only the device that enrolled holds the key that links new devices"});
  }
  if (r.device_key().size() != identity::kPublicKeySize) {
    return respond_error(id, {api::INVALID_ARGUMENT, "device_key must be 32 bytes"});
  }
  idv1::UserCertificate user;
  user.ParseFromString(chain_.user().body());
  idv1::DeviceCertificate body;
  body.set_serial(randombytes_random());
  body.set_user_id(user.user_id());
  body.set_agency_id(user.agency_id());
  body.set_device_key(r.device_key());
  body.set_device_name(r.device_name().empty() ? "device" : r.device_name().substr(0, 64));
  *body.mutable_validity() = device_validity();
  idv1::Chain chain = chain_;
  *chain.mutable_device() = identity::make_signed(identity::SignedKind::device_certificate, body, *user_key_);
  api::LinkToken token;
  *token.mutable_chain() = chain.SerializeAsString();
  if (auto s = store_->add_pending_link(as_bytes(r.device_key())); !s.ok()) return respond_error(id, api_error(s.error()));
  respond(id, [&](api::Response& resp) { resp.mutable_link_approved()->set_token(token.SerializeAsString()); });
  process_pending_links();
}

void Engine::complete_link(std::uint64_t id, const api::CompleteLink& r) {
  if (enrolled()) return respond_error(id, {api::ALREADY_ENROLLED, "this device is already enrolled"});
  auto seed = store_->get("link_device_seed");
  if (!seed.ok()) return respond_error(id, api_error(seed.error()));
  if (!*seed) return respond_error(id, {api::INVALID_ARGUMENT, "ask for a link (RequestLink) first"});
  auto key = identity::SigningKey::from_seed(**seed);
  if (!key.ok()) return respond_error(id, api_error(key.error()));
  api::LinkToken token;
  idv1::Chain chain;
  if (r.token().size() > 64 * 1024 || !token.ParseFromString(r.token()) || !chain.ParseFromString(token.chain())) {
    return respond_error(id, {api::INVALID_ARGUMENT, "the link token does not parse"});
  }
  if (auto s = finish_enrolment(chain, *key); !s.ok()) return respond_error(id, api_error(s.error()));
  (void)store_->erase("link_device_seed");
  respond(id, [&](api::Response& resp) { *resp.mutable_enrolled() = self_sender(); });
}

// ---------------------------------------------------------------------------------------------
// The relay connection: endpoints in turn, exponential back-off with jitter.

void Engine::set_state(api::ConnectionState::State s, std::string reason, std::uint32_t retry_ms) {
  state_.set_state(s);
  state_.set_endpoint(config_.endpoints().empty() ? "" : config_.endpoints(static_cast<int>(endpoint_)));
  state_.set_reason(std::move(reason));
  state_.set_retry_in_ms(retry_ms);
  state_.set_refused_code(s == api::ConnectionState::CONNECTED ? std::string() : refused_code_);
  event([&](api::Event& e) { *e.mutable_connection() = state_; });
}

void Engine::connect() {
  if (stopping_ || config_.endpoints().empty()) return;
  const std::string endpoint = config_.endpoints(static_cast<int>(endpoint_ % config_.endpoints_size()));
  set_state(api::ConnectionState::CONNECTING);
  Connection::Handlers h;
  h.opened = [this] { on_open(); };
  h.frame = [this](pb::ServerFrame f) { on_frame(std::move(f)); };
  h.closed = [this](const std::string& reason) { on_closed(reason); };
  conn_ = std::make_shared<Connection>(ioc_, *tls_, endpoint, std::move(h));
  conn_->start(kConnectTimeout);
}

void Engine::on_open() {
  open_ = true;
  if (!enrolled()) {
    // CONNECTED means authenticated; a device not enrolled yet only reaches the enrolment service.
    set_state(api::ConnectionState::CONNECTING, "reached the relay; not enrolled yet");
    return run_waiters();
  }
  if (need_certificate_) {
    // Refused with the chain held: the relay may have a renewed certificate for this person.
    need_certificate_ = false;
    return check_certificate([this](bool) {
      if (open_ && !authenticated_) hello();
    });
  }
  hello();
}

void Engine::hello() {
  pb::ClientFrame hello;
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->set_device_key(to_str(device_key_->public_key()));
  hello.mutable_hello()->set_client_name(config_.client_name().empty() ? "gchat-core/0.1" : config_.client_name().substr(0, 64));
  hello.mutable_hello()->set_chain(to_str(chain_bytes_));
  relay(std::move(hello), [this](const pb::ServerFrame& reply) {
    if (reply.has_error()) {
      if (conn_) conn_->close();
      // Expired or superseded: once, the next connection asks for the current certificate first
      // (a renewal or a clearance change); refused again, the refusal stands and is reported.
      const bool certificate = reply.error().code() == pb::CERTIFICATE_REJECTED || reply.error().code() == pb::REVOKED;
      if (certificate && !asked_certificate_) {
        asked_certificate_ = need_certificate_ = true;
        attempt_ = 0;
        return on_closed("the relay refused this device's certificate; asking for a renewed one");
      }
      asked_certificate_ = false;  // the next attempt asks again (an administrator may act meanwhile)
      problem(relay_error(reply.error()));
      refused_code_ = pb::ErrorCode_Name(reply.error().code());
      return on_closed("the relay refused this device: " + reply.error().message());
    }
    if (!reply.has_challenge()) return on_closed("the relay answered Hello without a challenge");
    relay_id_ = reply.challenge().relay_id();
    const Bytes msg = relay::auth_message(as_bytes(reply.challenge().relay_id()), as_bytes(reply.challenge().nonce()));
    Bytes sig(crypto_sign_BYTES);
    SecretBytes sk(crypto_sign_SECRETKEYBYTES);
    Bytes pk(crypto_sign_PUBLICKEYBYTES);
    crypto_sign_seed_keypair(pk.data(), sk.data(), device_key_->seed().data());
    crypto_sign_detached(sig.data(), nullptr, msg.data(), msg.size(), sk.data());
    pb::ClientFrame auth;
    auth.mutable_authenticate()->set_signature(to_str(sig));
    relay(std::move(auth), [this](const pb::ServerFrame& r2) {
      if (r2.has_error()) {
        problem(relay_error(r2.error()));
        if (conn_) conn_->close();
        refused_code_ = pb::ErrorCode_Name(r2.error().code());
        return on_closed("the relay refused this device's authentication: " + r2.error().message());
      }
      refused_code_.clear();
      authenticated(r2.auth_ok());
    });
  });
}

void Engine::authenticated(const pb::AuthOk& ok) {
  const Bytes key = to_bytes(ok.relay_key());
  if (relay_key_.empty()) {
    // First contact: the relay key is remembered (trust on first use, over TLS to a verified relay).
    relay_key_ = key;
    (void)store_->put("relay_key", relay_key_);
  } else if (key != relay_key_) {
    problem({api::CERTIFICATE, "the relay presents a different signing key than before; not trusting it"});
    if (conn_) conn_->close();
    return on_closed("relay key changed");
  }
  (void)store_->put("relay_id", as_bytes(relay_id_));
  if (!loaded_) {
    if (auto s = load_conversations(); !s.ok()) {
      problem(api_error(s.error()));
      return;
    }
  }
  // A certificate renewed (or changed by a clearance officer) while this device was away is taken
  // before anything else: the connection then starts again with it.
  check_certificate([this](bool taken) {
    if (!conn_ || !open_) return;
    if (taken) return reconnect_renewed();
    on_certificate_checked();
  });
}

void Engine::on_certificate_checked() {
  authenticated_ = true;
  asked_certificate_ = false;
  attempt_ = 0;
  fetch_revocations();
  // How far each conversation goes now: a commit of ours not back by then was refused.
  pb::ClientFrame list;
  list.mutable_list_groups();
  relay(std::move(list), [this](const pb::ServerFrame& reply) {
    if (!reply.has_group_list()) return;
    for (const auto& g : reply.group_list().groups()) {
      if (Conv* c = find(to_bytes(g.group_id()))) {
        if (c->next_seq > g.last_seq() && !c->pending_commit.empty() && !c->on_commit_placed) {
          drop_pending(*c, to_bytes(g.group_id()));
        }
      }
    }
  });
  // Others can add this device once its key packages are up: only then is it "connected".
  refill_key_packages([this] {
    if (!authenticated_) return;
    set_state(api::ConnectionState::CONNECTED);
    run_waiters();
    // A renewed chain goes into the trees first, so that what follows (a linked device's join
    // among it) already carries it.
    refresh_leaves();
    flush_outbox();
    process_pending_links();
    resume_history();
    register_channel_key();
    resume_channels();
  });
}

void Engine::on_frame(pb::ServerFrame f) {
  if (f.request_id() != 0) {
    auto it = replies_.find(f.request_id());
    if (it == replies_.end()) return;
    Reply reply = std::move(it->second);
    replies_.erase(it);
    return reply(f);
  }
  if (f.has_delivery()) return on_delivery(f.delivery());
  if (f.has_channel_key()) return on_channel_key(f.channel_key());
  if (f.has_channel_notice()) {
    const auto& n = f.channel_notice();
    if (n.removed()) return channel_removed(to_bytes(n.channel_id()));
    if (n.updated()) return sync_channels();
    return channel_work(to_bytes(n.channel_id()), n.rekey_needed());
  }
  if (f.has_certificate_notice()) {
    return check_certificate([this](bool taken) {
      if (taken && conn_) reconnect_renewed();
    });
  }
  if (f.has_notice()) {
    problem({api::OFFLINE, "the relay is closing the connection: " + f.notice().reason().message()});
  }
}

void Engine::on_closed(const std::string& reason) {
  settle();
  if (conn_) conn_->close();
  conn_.reset();
  open_ = false;
  authenticated_ = false;
  in_flight_.clear();
  ready_.clear();
  reload_ready_ = true;
  if (reason.rfind("the relay refused", 0) != 0) refused_code_.clear();  // this close was not a refusal
  // Every request in flight fails; their callers see OFFLINE.
  auto replies = std::move(replies_);
  replies_.clear();
  for (auto& [rid, reply] : replies) {
    pb::ServerFrame lost;
    lost.set_request_id(rid);
    lost.mutable_error()->set_code(pb::SHUTTING_DOWN);
    lost.mutable_error()->set_message("the connection to the relay was lost");
    reply(lost);
  }
  if (stopping_) return;
  const std::uint32_t lo = config_.reconnect_min_ms() ? config_.reconnect_min_ms() : 500;
  const std::uint32_t hi = config_.reconnect_max_ms() ? config_.reconnect_max_ms() : 30'000;
  const std::uint64_t ceiling = std::min<std::uint64_t>(hi, std::uint64_t{lo} << std::min<std::uint32_t>(attempt_, 16));
  // "Equal jitter": half fixed, half random, so that a relay restart does not bring every client back at once.
  const auto delay = static_cast<std::uint32_t>(ceiling / 2 + rng_() % (ceiling / 2 + 1));
  ++attempt_;
  endpoint_ = (endpoint_ + 1) % static_cast<std::size_t>(std::max(1, config_.endpoints_size()));
  set_state(api::ConnectionState::WAITING, reason, delay);
  retry_timer_.expires_after(std::chrono::milliseconds(delay));
  retry_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping_) connect();
  });
}

void Engine::relay(pb::ClientFrame frame, Reply reply) {
  const std::uint64_t rid = next_relay_id_++;
  frame.set_request_id(rid);
  if (!conn_ || !open_) {
    pb::ServerFrame lost;
    lost.set_request_id(rid);
    lost.mutable_error()->set_code(pb::SHUTTING_DOWN);
    lost.mutable_error()->set_message("not connected to a relay");
    return reply(lost);
  }
  replies_.emplace(rid, std::move(reply));
  conn_->send(frame);
}

void Engine::when_online(bool pre_auth, std::chrono::milliseconds wait, std::function<void()> action,
                         std::function<void(ApiError)> failed) {
  if (open_ && (pre_auth || authenticated_)) return action();
  auto w = std::make_shared<Waiter>();
  w->pre_auth = pre_auth;
  w->action = std::move(action);
  w->failed = std::move(failed);
  w->timer = std::make_shared<asio::steady_timer>(ioc_, wait);
  waiters_.push_back(w);
  w->timer->async_wait([this, w](boost::system::error_code ec) {
    if (ec || stopping_) return;
    auto it = std::find(waiters_.begin(), waiters_.end(), w);
    if (it == waiters_.end()) return;
    waiters_.erase(it);
    w->failed({api::OFFLINE, "no relay is reachable (" + state_.reason() + ")"});
  });
}

void Engine::run_waiters() {
  std::deque<std::shared_ptr<Waiter>> keep;
  auto ready = std::move(waiters_);
  waiters_.clear();
  for (auto& w : ready) {
    if (open_ && (w->pre_auth || authenticated_)) {
      w->timer->cancel();
      w->action();
    } else {
      keep.push_back(w);
    }
  }
  for (auto& w : keep) waiters_.push_back(w);
}

void Engine::refill_key_packages(std::function<void()> then) {
  pb::ClientFrame probe;
  probe.mutable_upload_key_packages();
  relay(std::move(probe), [this, then](const pb::ServerFrame& reply) {
    if (!reply.has_upload_key_packages_ok() || reply.upload_key_packages_ok().available() >= kKeyPackageLow) return then();
    settle();
    pb::ClientFrame up;
    const auto now = static_cast<std::uint64_t>(now_s());
    if (auto s = store_->begin(); !s.ok()) {
      problem(api_error(s.error()));
      return then();
    }
    for (std::uint32_t i = 0; i < kKeyPackageBatch; ++i) {
      auto bundle = mls::make_key_package(*suite_, *mls_id_, now - 300, now + kKeyPackageLifetime);
      if (!bundle.ok()) {
        store_->rollback();
        problem(api_error(bundle.error()));
        return then();
      }
      const Bytes ref = mls::key_package_ref(*suite_, bundle->key_package);
      Bytes packed = pack_bundle(*bundle);
      auto s = store_->add_key_package(ref, packed);
      sodium_memzero(packed.data(), packed.size());
      if (!s.ok()) {
        store_->rollback();
        problem(api_error(s.error()));
        return then();
      }
      mls::MlsMessage m;
      m.body = bundle->key_package;
      *up.mutable_upload_key_packages()->add_key_packages() = to_str(codec::encode(m));
    }
    if (auto s = store_->commit(); !s.ok()) {
      problem(api_error(s.error()));
      return then();
    }
    relay(std::move(up), [this, then](const pb::ServerFrame& r) {
      if (r.has_error()) problem(relay_error(r.error()));
      then();
    });
  });
}

void Engine::fetch_revocations() {
  pb::ClientFrame f;
  f.mutable_fetch_revocations();
  relay(std::move(f), [this](const pb::ServerFrame& reply) {
    // No list yet (nothing ever revoked on this relay): nothing to apply.
    if (!reply.has_revocations() || reply.revocations().list().body().empty()) return;
    auto list = identity::open_signed<idv1::RevocationList>(identity::SignedKind::revocation_list,
                                                             reply.revocations().list(), relay_key_, "revocation list");
    if (!list.ok()) return problem(api_error(list.error()));
    auto revoked = std::make_shared<const identity::Revocations>(*list);
    if (revoked_ && revoked->number() < revoked_->number()) return;  // never back to an older list
    revoked_ = revoked;
    verifier_->set_revocations(std::move(revoked));
  });
}

}  // namespace gchat::client
