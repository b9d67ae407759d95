// Broadcast channels in the client core, the subscriber's side (SECURITY.md, "Broadcast channels"):
// subscribers verify the channel's signed descriptor, are refused locally when their clearance or
// agency does not fit, receive each generation's channel key wrapped to their device's registered
// HPKE key, and accept a post only from a verified publisher's signed envelope. The publisher's
// side is in engine_publishing.cpp.

#include <sodium.h>

#include <algorithm>

#include "engine.hpp"
#include "gchat/identity/certificate.hpp"
#include "gchat/identity/channel.hpp"
#include "gchat/identity/channel_keys.hpp"
#include "gchat/crypto/hpke.hpp"

namespace gchat::client {

namespace {

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string to_str(BytesView b) { return std::string(b.begin(), b.end()); }

constexpr const char* kHpkeName = "channel_hpke";
constexpr const char* kRegistrationName = "channel_registration";

std::string key_name(BytesView channel_id, std::uint64_t generation) {
  return "chkey:" + to_hex(channel_id) + ":" + std::to_string(generation);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Channel records

Result<Engine::Chan> Engine::verified_channel(const idv1::Signed& descriptor, const idv1::AdminChain& signer) const {
  // A descriptor signed by an administrator revoked since is not trusted.
  identity::TrustAnchor anchor = trust_anchor();
  anchor.revoked = revoked_.get();
  GCHAT_TRY(auto v, identity::verify_channel(descriptor, signer, anchor));
  Chan ch;
  ch.desc = std::move(v.descriptor);
  ch.signed_descriptor = descriptor.SerializeAsString();
  ch.admin_chain = signer.SerializeAsString();
  ch.publisher = identity::may_publish(self_.user, ch.desc).ok();
  return ch;
}

void Engine::fetch_channels(std::function<void(std::optional<ApiError>, std::vector<Offered>)> done) {
  pb::ClientFrame f;
  f.mutable_list_channels();
  relay(std::move(f), [this, done = std::move(done)](const pb::ServerFrame& reply) {
    if (reply.has_error()) return done(relay_error(reply.error()), {});
    std::vector<Offered> offered;
    for (const auto& info : reply.channel_list().channels()) {
      auto ch = verified_channel(info.channel(), info.admin());
      if (!ch.ok()) continue;  // not signed by a channel administrator of its agency: not shown
      offered.push_back(Offered{std::move(*ch), info});
    }
    done(std::nullopt, std::move(offered));
  });
}

Engine::Conv& Engine::install_channel(const Bytes& channel_id, Chan channel) {
  Conv& c = convs_[channel_id];
  c.channel = std::move(channel);
  c.info.set_conversation_id(to_str(channel_id));
  c.info.set_left(false);
  fill_channel_info(c);
  return c;
}

api::Channel Engine::channel_view(const Chan& ch, const pb::ChannelInfo& info) const {
  api::Channel out;
  const auto& d = ch.desc;
  out.set_channel_id(d.channel_id());
  out.set_title(d.title());
  out.set_agency_id(d.agency_id());
  out.set_level(d.level());
  out.mutable_allowed_agencies()->CopyFrom(d.allowed_agencies());
  out.mutable_publishers()->CopyFrom(d.publishers());
  out.set_subscribed(info.subscribed());
  out.set_may_subscribe(identity::may_subscribe(self_.user.agency.agency_id, self_.user.clearance, d).ok());
  out.set_publisher(ch.publisher);
  out.set_subscribers(info.subscribers());
  out.set_signed_by(d.agency_id() + "/" + d.admin_id());
  return out;
}

void Engine::fill_channel_info(Conv& c) const {
  const auto& d = c.channel->desc;
  c.info.set_kind(idv1::CHANNEL);
  c.info.set_title(d.title());
  c.info.set_level(d.level());
  c.info.set_agency_id(d.agency_id());
  c.info.mutable_allowed_agencies()->CopyFrom(d.allowed_agencies());
  c.info.mutable_publishers()->CopyFrom(d.publishers());
  c.info.set_can_post(c.channel->publisher && !c.info.left());
}

SecretBytes Engine::channel_state(const Chan& ch) const {
  api::LocalChannel local;
  local.set_signed_channel(ch.signed_descriptor);
  local.set_admin_chain(ch.admin_chain);
  const std::string bytes = local.SerializeAsString();
  return SecretBytes(as_bytes(bytes));
}

Status Engine::load_channel(Conv& c, BytesView state) {
  api::LocalChannel local;
  if (!local.ParseFromArray(state.data(), static_cast<int>(state.size()))) {
    return fail(Errc::storage_corrupt, "local store: a channel does not parse");
  }
  idv1::Signed s;
  idv1::AdminChain signer;
  if (!s.ParseFromString(local.signed_channel()) || !signer.ParseFromString(local.admin_chain())) {
    return fail(Errc::storage_corrupt, "local store: a channel does not parse");
  }
  auto ch = verified_channel(s, signer);
  if (!ch.ok()) {
    // Verified when subscribed; a signer's certificate that expired since leaves history readable
    // and posting off.
    Chan kept;
    if (!kept.desc.ParseFromString(s.body())) return fail(Errc::storage_corrupt, "local store: a channel does not parse");
    kept.signed_descriptor = local.signed_channel();
    kept.admin_chain = local.admin_chain();
    c.channel = std::move(kept);
  } else {
    c.channel = std::move(*ch);
  }
  fill_channel_info(c);
  return {};
}

Result<std::optional<SecretBytes>> Engine::channel_key_of(const Bytes& channel_id, std::uint64_t generation) {
  return store_->get(key_name(channel_id, generation));
}

Status Engine::keep_channel_key(const Bytes& channel_id, std::uint64_t generation, BytesView key) {
  return store_->put(key_name(channel_id, generation), key);
}

// ---------------------------------------------------------------------------------------------
// Discovery and subscription

void Engine::list_channels(std::uint64_t id) {
  fetch_channels([this, id](std::optional<ApiError> e, std::vector<Offered> offered) {
    if (e) return respond_error(id, *e);
    api::Channels out;
    for (const auto& o : offered) *out.add_channels() = channel_view(o.channel, o.info);
    respond(id, [&](api::Response& r) { *r.mutable_channels() = std::move(out); });
  });
}

void Engine::subscribe(std::uint64_t id, const Bytes& channel_id, bool unsubscribe) {
  if (channel_id.size() != identity::kChannelIdSize) {
    return respond_error(id, {api::INVALID_ARGUMENT, "a channel id is 16 bytes"});
  }
  if (unsubscribe) {
    // Also for a channel this device has not seen yet (subscribed by the agency a moment ago).
    pb::ClientFrame f;
    f.mutable_subscribe()->set_channel_id(to_str(channel_id));
    f.mutable_subscribe()->set_unsubscribe(true);
    return relay(std::move(f), [this, id, channel_id](const pb::ServerFrame& reply) {
      if (reply.has_error()) return respond_error(id, relay_error(reply.error()));
      Conv* c2 = find(channel_id);
      if (!c2 || !c2->channel) return respond(id, [](api::Response& r) { r.set_done(true); });
      settle();
      c2->info.set_left(true);
      fill_channel_info(*c2);
      if (auto s = save(channel_id, *c2); !s.ok()) return respond_error(id, api_error(s.error()));
      respond(id, [](api::Response& r) { r.set_done(true); });
    });
  }
  // The client checks first (the relay checks again): the descriptor, verified to the root.
  fetch_channels([this, id, channel_id](std::optional<ApiError> e, std::vector<Offered> offered) {
    if (e) return respond_error(id, *e);
    auto found = std::find_if(offered.begin(), offered.end(),
                              [&](const Offered& o) { return o.channel.desc.channel_id() == to_str(channel_id); });
    if (found == offered.end()) return respond_error(id, {api::NOT_FOUND, "no such channel open to you"});
    if (auto s = identity::may_subscribe(self_.user.agency.agency_id, self_.user.clearance, found->channel.desc);
        !s.ok()) {
      return respond_error(id, {api::NOT_CLEARED, s.error().message});
    }
    pb::ClientFrame f;
    f.mutable_subscribe()->set_channel_id(to_str(channel_id));
    relay(std::move(f), [this, id, channel_id, ch = std::move(found->channel)](const pb::ServerFrame& r2) mutable {
      if (r2.has_error()) return respond_error(id, relay_error(r2.error()));
      settle();
      Conv& c = install_channel(channel_id, std::move(ch));
      if (auto s = save(channel_id, c); !s.ok()) return respond_error(id, api_error(s.error()));
      event([&](api::Event& ev) { *ev.mutable_conversation() = c.info; });
      respond(id, [&](api::Response& resp) { *resp.mutable_conversation() = c.info; });
      if (c.channel->publisher) {
        if (find(identity::publishers_group_id(channel_id))) {
          channel_work(channel_id, false);
        } else {
          ensure_publishers_group(channel_id);
        }
      }
    });
  });
}

void Engine::update_channel(const Bytes& channel_id, Chan fresh) {
  Conv* c = find(channel_id);
  if (!c || !c->channel) return;
  settle();
  fresh.verified = std::move(c->channel->verified);
  c->channel = std::move(fresh);
  fill_channel_info(*c);
  if (auto s = save(channel_id, *c); !s.ok()) return problem(api_error(s.error()));
  event([&](api::Event& e) { *e.mutable_conversation() = c->info; });
  if (!c->channel->publisher) return;
  if (find(identity::publishers_group_id(channel_id))) return reconcile_publishers(channel_id);
  ensure_publishers_group(channel_id);
}

// ---------------------------------------------------------------------------------------------
// Subscriber side: this device's key for channel keys, wrapped keys, posts

void Engine::register_channel_key() {
  auto signed_reg = store_->get(kRegistrationName);
  if (!signed_reg.ok()) return problem(api_error(signed_reg.error()));
  std::string registration;
  if (*signed_reg) {
    registration = to_str((*signed_reg)->view());
  } else {
    // Once per device: an X25519 key whose private half stays sealed in the store.
    const auto kp = suite_->hpke().generate_key_pair();
    idv1::ChannelKeyRegistration body;
    body.set_device_key(to_str(device_key_->public_key()));
    body.set_hpke_key(to_str(kp.public_key));
    body.set_created_at(now_s());
    registration = identity::make_signed(identity::SignedKind::channel_key_registration, body, *device_key_)
                       .SerializeAsString();
    if (auto s = store_->put(kHpkeName, kp.private_key); !s.ok()) return problem(api_error(s.error()));
    if (auto s = store_->put(kRegistrationName, as_bytes(registration)); !s.ok()) return problem(api_error(s.error()));
  }
  pb::ClientFrame f;
  f.mutable_register_channel_key()->mutable_registration()->ParseFromString(registration);
  relay(std::move(f), [this](const pb::ServerFrame& reply) {
    if (reply.has_error() && reply.error().code() != pb::NOT_SUPPORTED && reply.error().code() != pb::SHUTTING_DOWN) {
      problem(relay_error(reply.error()));
    }
  });
}

void Engine::ask_channel_key(const Bytes& channel_id, std::uint64_t generation) {
  Conv* c = find(channel_id);
  if (!c || !c->channel || !authenticated_ || !c->channel->asked.insert(generation).second) return;
  pb::ClientFrame f;
  f.mutable_fetch_channel_key()->set_channel_id(to_str(channel_id));
  f.mutable_fetch_channel_key()->set_generation(generation);
  relay(std::move(f), [this, channel_id, generation](const pb::ServerFrame& reply) {
    if (reply.has_channel_key()) return on_channel_key(reply.channel_key());
    // Not wrapped yet: a publisher's device will, and the relay pushes it then.
    if (reply.has_error() && reply.error().code() == pb::SHUTTING_DOWN) {
      if (Conv* c2 = find(channel_id); c2 && c2->channel) c2->channel->asked.erase(generation);
    }
  });
}

void Engine::on_channel_key(const pb::ChannelKey& k) {
  const Bytes channel_id = to_bytes(k.channel_id());
  Conv* c = find(channel_id);
  if (!c || !c->channel) return;
  auto have = channel_key_of(channel_id, k.generation());
  if (have.ok() && *have) return;
  auto priv = store_->get(kHpkeName);
  if (!priv.ok() || !*priv) return problem({api::STORAGE, "this device's channel key is missing from the store"});
  crypto::HpkeCiphertext wrapped{to_bytes(k.key().kem_output()), to_bytes(k.key().ciphertext())};
  auto key = identity::unwrap_channel_key(*suite_, **priv, channel_id, k.generation(), device_key_->public_key(), wrapped);
  if (!key.ok()) return problem({api::CERTIFICATE, "a channel key wrapped for this device does not open: " + key.error().message});
  if (auto s = open_batch(); !s.ok()) return problem(api_error(s.error()));
  if (auto s = keep_channel_key(channel_id, k.generation(), *key); !s.ok()) return problem(api_error(s.error()));
  replay_channel_posts(channel_id);
}

// Posts kept sealed in the store (their key had not come, or the channel was not known here yet),
// in their order; those still without a key wait again. Runs inside an open batch.
void Engine::replay_channel_posts(const Bytes& channel_id) {
  Conv* c = find(channel_id);
  if (!c || !c->channel) return;
  auto waiting = store_->buffered(channel_id);
  if (!waiting.ok()) return problem(api_error(waiting.error()));
  if (waiting->empty()) return;
  (void)store_->drop_buffered(channel_id);
  for (const auto& b : *waiting) {
    pb::Delivery again;
    again.set_group_id(to_str(channel_id));
    again.set_seq(b.seq);
    again.set_kind(static_cast<pb::MessageKind>(b.kind));
    again.set_sender_key(to_str(b.sender_key));
    again.set_payload(to_str(b.payload));
    again.set_server_time_ms(b.time_ms);
    if (auto s = process_channel_post(again, *c); !s.ok()) problem(api_error(s.error()));
    c->next_seq = std::max(c->next_seq, b.seq + 1);
  }
  batch_acks_[channel_id] = c->next_seq - 1;
}

void Engine::channel_removed(const Bytes& channel_id) {
  Conv* c = find(channel_id);
  if (!c || !c->channel || c->info.left()) return;
  settle();
  c->info.set_left(true);
  fill_channel_info(*c);
  if (auto s = save(channel_id, *c); !s.ok()) return problem(api_error(s.error()));
  event([&](api::Event& e) {
    auto* m = e.mutable_membership();
    m->set_conversation_id(to_str(channel_id));
    m->set_self_removed(true);
  });
}

void Engine::sync_channels() {
  fetch_channels([this](std::optional<ApiError> e, std::vector<Offered> offered) {
    if (e) return;  // tried again at the next connection or notice
    std::set<Bytes> subscribed;
    for (auto& o : offered) {
      if (!o.info.subscribed()) continue;
      const Bytes cid = to_bytes(o.channel.desc.channel_id());
      subscribed.insert(cid);
      Conv* known = find(cid);
      if (known && known->channel && !known->info.left()) {
        if (o.channel.desc.version() > known->channel->desc.version()) update_channel(cid, std::move(o.channel));
        continue;
      }
      // Subscribed from another device of this person (or by an administrator for the agency).
      settle();
      if (auto s = open_batch(); !s.ok()) return problem(api_error(s.error()));
      Conv& c = install_channel(cid, std::move(o.channel));
      batch_acks_.emplace(cid, 0);  // saved with the batch
      event([&](api::Event& ev) { *ev.mutable_conversation() = c.info; });
      replay_channel_posts(cid);
      if (c.channel->publisher) asio::post(ioc_, [this, cid] { channel_work(cid, false); });
    }
    for (auto& [gid, c] : convs_) {
      if (c.channel && !c.info.left() && !subscribed.count(gid)) channel_removed(gid);
    }
  });
}

Status Engine::process_channel_post(const pb::Delivery& d, Conv& c) {
  if (d.kind() != pb::CHANNEL_POST) return {};  // nothing else belongs in a stream
  if (same_bytes(as_bytes(d.sender_key()), device_key_->public_key())) {
    own_application(d, c);
    return {};
  }
  const Bytes channel_id = to_bytes(d.group_id());
  pb::ChannelCiphertext ct;
  if (!ct.ParseFromString(d.payload())) return fail(Errc::malformed, "a channel post does not parse");
  GCHAT_TRY(auto key, channel_key_of(channel_id, ct.generation()));
  if (!key) {
    // Its key is not here yet: the post waits, sealed in the store, and the key is asked for.
    BufferedDelivery b{channel_id, d.seq(), d.kind(), to_bytes(d.sender_key()), to_bytes(d.payload()), d.server_time_ms()};
    GCHAT_TRY_STATUS(store_->buffer(b));
    ask_channel_key(channel_id, ct.generation());
    return {};
  }
  GCHAT_TRY(auto plain, identity::open_channel_post(*suite_, *key, channel_id, ct.generation(), as_bytes(ct.nonce()),
                                                    as_bytes(ct.ciphertext())));
  api::ChannelEnvelope env;
  if (!env.ParseFromArray(plain.data(), static_cast<int>(plain.size()))) {
    return fail(Errc::malformed, "a channel post's envelope does not parse");
  }
  // The publisher, verified to the root, listed on the channel, and the post signed by that device.
  GCHAT_TRY(auto from, verifier_->verify(identity::gchat_credential(as_bytes(env.chain())), as_bytes(d.sender_key())));
  if (auto s = identity::may_publish(from.user, c.channel->desc); !s.ok()) {
    return fail(Errc::policy_not_permitted, "a channel post from someone who is not its publisher was dropped: " +
                                                s.error().message);
  }
  GCHAT_TRY_STATUS(identity::verify_signature(identity::SignedKind::post, as_bytes(env.envelope().post()),
                                              as_bytes(env.envelope().signature()), from.device_key));
  return receive_post(d, c, as_bytes(env.envelope().SerializeAsString()), from, as_bytes(env.chain()));
}

void Engine::resume_channels() {
  sync_channels();
  for (auto& [gid, c] : convs_) {
    if (!c.channel || c.info.left()) continue;
    c.channel->asked.clear();
    c.channel->working = false;
    // Posts that wait for a key: ask again (the key may have been wrapped while offline).
    auto waiting = store_->buffered(gid);
    if (waiting.ok()) {
      for (const auto& b : *waiting) {
        pb::ChannelCiphertext ct;
        if (ct.ParseFromArray(b.payload.data(), static_cast<int>(b.payload.size()))) ask_channel_key(gid, ct.generation());
      }
    }
    if (!c.channel->publisher) continue;
    if (find(identity::publishers_group_id(gid))) {
      asio::post(ioc_, [this, g = gid] { channel_work(g, false); });
    } else {
      asio::post(ioc_, [this, g = gid] { ensure_publishers_group(g); });
    }
  }
}

}  // namespace gchat::client
