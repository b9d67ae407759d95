// Broadcast channels in the client core, the publisher's side (SECURITY.md, "Broadcast
// channels"): publishers keep the publishers' MLS group (following the channel's descriptor),
// derive each epoch's channel key from it, encrypt each post once, wrap the current key to the
// subscribers the relay says are waiting (verifying each one first), and renew the key by an empty
// commit when a subscriber left. Channel administrators sign descriptors and subscribe agencies.

#include <sodium.h>

#include "engine.hpp"
#include "gchat/identity/certificate.hpp"
#include "gchat/identity/channel.hpp"
#include "gchat/identity/channel_keys.hpp"

namespace gchat::client {

namespace {

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string to_str(BytesView b) { return std::string(b.begin(), b.end()); }

constexpr std::uint32_t kWorkPage = 1000;

}  // namespace

// Every epoch of a publishers' group gives the channel its next key: kept on entering the epoch, so
// that posts of this generation stay readable after the group moves on.
Status Engine::keep_publishers_key(const Bytes& group_id, const mls::Group& g) {
  const auto channel_id = identity::channel_of_publishers_group(group_id);
  if (!channel_id) return {};
  GCHAT_TRY(auto have, channel_key_of(*channel_id, g.epoch()));
  if (have) return {};
  GCHAT_TRY(auto key, identity::channel_key(g, *channel_id));
  GCHAT_TRY_STATUS(keep_channel_key(*channel_id, g.epoch(), key));
  // A new generation: every subscriber needs it.
  asio::post(ioc_, [this, cid = *channel_id] { channel_work(cid, false); });
  return {};
}

void Engine::reconcile_publishers(const Bytes& channel_id) {
  Conv* c = find(channel_id);
  const Bytes pgid = identity::publishers_group_id(channel_id);
  Conv* p = find(pgid);
  if (!c || !c->channel || !c->channel->publisher || !p || !p->group || !authenticated_) return;
  const auto& d = c->channel->desc;
  auto key_of = [](const std::string& agency, const std::string& user) { return agency + "/" + user; };
  std::set<std::string> wanted;
  for (const auto& u : d.publishers()) wanted.insert(key_of(u.agency_id(), u.user_id()));
  auto policy = identity::policy_of(p->group->context().extensions);
  if (!policy.ok()) return problem(api_error(policy.error()));
  std::set<std::string> listed;
  for (const auto& u : policy->publishers()) listed.insert(key_of(u.agency_id(), u.user_id()));
  std::vector<mls::LeafIndex> removes;
  std::set<std::string> present;
  for (mls::LeafIndex i = 0; i < p->group->tree().leaf_count(); ++i) {
    if (!p->group->tree().leaf(i)) continue;
    auto dev = leaf_device(*p->group, i);
    if (!dev.ok()) continue;
    const std::string who = key_of(dev->user.agency.agency_id, dev->user.user_id);
    if (wanted.count(who)) {
      present.insert(who);
    } else if (i != p->group->own_leaf()) {
      removes.push_back(i);
    }
  }
  std::vector<idv1::UserRef> missing;
  for (const auto& u : d.publishers()) {
    if (!present.count(key_of(u.agency_id(), u.user_id()))) missing.push_back(u);
  }
  const bool policy_changed = listed != wanted || policy->title() != d.title();
  if (!policy_changed && removes.empty() && missing.empty()) return;
  std::optional<std::vector<mls::Extension>> extensions;
  if (policy_changed) {
    idv1::GroupPolicy next = *policy;
    next.mutable_publishers()->CopyFrom(d.publishers());
    next.mutable_admins()->CopyFrom(d.publishers());
    next.set_title(d.title());
    extensions = identity::group_extensions(next, identity::RelaySender{relay_key_, relay_id_});
  }
  fetch_key_packages(missing, {}, [this, channel_id, pgid, removes, extensions](Result<std::vector<mls::KeyPackage>> kps) {
    Conv* c2 = find(channel_id);
    if (!c2 || !c2->channel) return;
    std::vector<mls::KeyPackage> adds;
    if (kps.ok()) {
      // Only devices of people this channel lists with the right to publish (the others would make
      // the whole commit fail).
      for (auto& kp : *kps) {
        auto dev = verifier_->verify(kp.leaf_node.credential, kp.leaf_node.signature_key);
        if (dev.ok() && identity::may_publish(dev->user, c2->channel->desc).ok()) adds.push_back(std::move(kp));
      }
    }
    run_exclusive(pgid, [this, pgid, adds, removes, extensions](Done release) {
      commit_changes(pgid, adds, removes, [this, release](std::optional<ApiError> e) {
        release(e);
        if (e && e->code != api::CONFLICT) problem(*e);
      }, extensions);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Publisher side

Result<Bytes> Engine::encrypt_channel_post(const OutboxEntry& e, Conv& c, std::uint64_t& generation) {
  Conv* p = find(identity::publishers_group_id(e.group_id));
  if (!p || !p->group) {
    ensure_publishers_group(e.group_id);
    return fail(Errc::not_found, "the channel's publishers' group is not set up yet");
  }
  (void)c;
  generation = p->group->epoch();
  GCHAT_TRY(auto key, identity::channel_key(*p->group, e.group_id));
  api::ChannelEnvelope env;
  if (!env.mutable_envelope()->ParseFromArray(e.envelope.data(), static_cast<int>(e.envelope.size()))) {
    return fail(Errc::storage_corrupt, "local store: a queued post does not parse");
  }
  env.set_chain(to_str(chain_bytes_));
  const std::string plain = env.SerializeAsString();
  GCHAT_TRY(auto sealed, identity::seal_channel_post(*suite_, key, e.group_id, generation, as_bytes(plain)));
  pb::ChannelCiphertext ct;
  ct.set_generation(generation);
  ct.set_nonce(to_str(sealed.nonce));
  ct.set_ciphertext(to_str(sealed.ciphertext));
  return to_bytes(ct.SerializeAsString());
}

void Engine::ensure_publishers_group(const Bytes& channel_id) {
  Conv* c = find(channel_id);
  if (!c || !c->channel || !c->channel->publisher || c->channel->working || !authenticated_) return;
  const Bytes pgid = identity::publishers_group_id(channel_id);
  if (find(pgid)) return;
  const auto& d = c->channel->desc;
  idv1::GroupPolicy policy;
  policy.set_kind(idv1::CHANNEL);
  policy.set_level(d.level());
  policy.set_title(d.title());
  policy.add_allowed_agencies(d.agency_id());
  policy.mutable_admins()->CopyFrom(d.publishers());
  policy.mutable_publishers()->CopyFrom(d.publishers());
  std::vector<idv1::UserRef> people(d.publishers().begin(), d.publishers().end());
  c->channel->working = true;
  start_group(pgid, policy, std::move(people), [this, channel_id](std::optional<ApiError> e) {
    Conv* c2 = find(channel_id);
    if (c2 && c2->channel) c2->channel->working = false;
    // GROUP_EXISTS: another publisher was first, and adds this device.
    if (e && e->relay_code != pb::GROUP_EXISTS) problem(*e);
    encrypt_queued_ = true;
    schedule_flush();
    channel_work(channel_id, false);
  });
}

void Engine::channel_work(const Bytes& channel_id, bool rekey_first) {
  Conv* c = find(channel_id);
  if (!c || !c->channel || !c->channel->publisher || !authenticated_) return;
  Conv* p = find(identity::publishers_group_id(channel_id));
  if (!p || !p->group) return;
  if (c->channel->working) {
    c->channel->again = true;
    return;
  }
  if (rekey_first) return rekey_channel(channel_id);
  c->channel->working = true;
  wrap_page(channel_id, 0);
}

// One page of waiting subscribers: each verified (chain to the root, clearance and agency for this
// channel, key registration signed by the device), then the current key wrapped to it.
void Engine::wrap_page(const Bytes& channel_id, std::uint64_t after) {
  pb::ClientFrame f;
  f.mutable_fetch_channel_work()->set_channel_id(to_str(channel_id));
  f.mutable_fetch_channel_work()->set_after(after);
  f.mutable_fetch_channel_work()->set_limit(kWorkPage);
  relay(std::move(f), [this, channel_id](const pb::ServerFrame& reply) {
    Conv* c = find(channel_id);
    if (!c || !c->channel) return;
    // Found again when called: it may run from a later reply, after the conversations were reloaded.
    auto finish = [this, channel_id] {
      Conv* now = find(channel_id);
      if (!now || !now->channel) return;
      now->channel->working = false;
      if (encrypt_queued_) schedule_flush();  // posts refused for an old key go out under this one
      if (now->channel->again) {
        now->channel->again = false;
        asio::post(ioc_, [this, channel_id] { channel_work(channel_id, false); });
      }
    };
    if (reply.has_error() || !reply.has_channel_work()) return finish();
    const auto& w = reply.channel_work();
    if (w.rekey_needed()) {
      c->channel->working = false;
      return rekey_channel(channel_id);
    }
    Conv* p = find(identity::publishers_group_id(channel_id));
    if (!p || !p->group || p->group->epoch() != w.generation()) return finish();  // a commit is on its way to us
    auto key = identity::channel_key(*p->group, channel_id);
    if (!key.ok()) return finish();
    pb::ClientFrame put;
    auto* keys = put.mutable_put_channel_keys();
    keys->set_channel_id(to_str(channel_id));
    keys->set_generation(w.generation());
    for (const auto& s : w.subscribers()) {
      auto who = verifier_->verify(identity::gchat_credential(as_bytes(s.chain())), as_bytes(s.device_key()));
      if (!who.ok() ||
          !identity::may_subscribe(who->user.agency.agency_id, who->user.clearance, c->channel->desc).ok()) {
        continue;  // not (or no longer) admissible: no key
      }
      idv1::ChannelKeyRegistration reg;
      if (!reg.ParseFromString(s.registration().body()) || reg.device_key() != s.device_key() ||
          reg.hpke_key().size() != 32) {
        continue;
      }
      if (!c->channel->verified.count(s.registration().signature())) {
        if (!identity::verify_signature(identity::SignedKind::channel_key_registration,
                                        as_bytes(s.registration().body()), as_bytes(s.registration().signature()),
                                        as_bytes(s.device_key()))
                 .ok()) {
          continue;
        }
        c->channel->verified.insert(s.registration().signature());
      }
      auto wrapped = identity::wrap_channel_key(*suite_, as_bytes(reg.hpke_key()), channel_id, w.generation(),
                                                as_bytes(s.device_key()), *key);
      if (!wrapped.ok()) continue;
      auto* k = keys->add_keys();
      k->set_device_key(s.device_key());
      k->set_kem_output(to_str(wrapped->kem_output));
      k->set_ciphertext(to_str(wrapped->ciphertext));
    }
    const std::uint64_t next = w.next();
    if (keys->keys_size() == 0) {
      if (next) return wrap_page(channel_id, next);
      return finish();
    }
    relay(std::move(put), [this, channel_id, next, finish](const pb::ServerFrame& r2) {
      if (r2.has_error() || next == 0) return finish();
      wrap_page(channel_id, next);
    });
  });
}

// A subscriber left: an empty commit in the publishers' group moves it to a new epoch, whose key the
// departed devices never get.
void Engine::rekey_channel(const Bytes& channel_id) {
  Conv* c = find(channel_id);
  if (!c || !c->channel || !c->channel->publisher) return;
  const Bytes pgid = identity::publishers_group_id(channel_id);
  Conv* p = find(pgid);
  if (!p || !p->group) return ensure_publishers_group(channel_id);
  if (c->channel->working) {
    c->channel->again = true;
    return;
  }
  c->channel->working = true;
  run_exclusive(pgid, [this, pgid, channel_id](Done release) {
    commit_changes(pgid, {}, {}, [this, channel_id, release](std::optional<ApiError> e) {
      release(e);
      if (Conv* c2 = find(channel_id); c2 && c2->channel) c2->channel->working = false;
      if (e && e->code != api::CONFLICT) problem(*e);
      encrypt_queued_ = true;
      schedule_flush();
      if (!e) return channel_work(channel_id, false);
      // Refused, or a commit of ours is still on its way: the relay would answer "rekey needed"
      // again at once, and asking straight back spun this loop hundreds of times a second (until
      // the relay's rate limit refused everything). Ask again a moment later.
      auto timer = std::make_shared<asio::steady_timer>(ioc_, std::chrono::seconds(1));
      timer->async_wait([this, timer, channel_id](boost::system::error_code ec) {
        if (!ec && !stopping_) channel_work(channel_id, false);
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Administrators

void Engine::set_channel(std::uint64_t id, const api::SetChannel& r) {
  if (!admin_.has(idv1::CHANNEL_ADMIN)) {
    return respond_error(id, {api::NOT_ADMIN, "channels are managed by a channel administrator"});
  }
  idv1::ChannelDescriptor d;
  Bytes channel_id = to_bytes(r.channel_id());
  if (channel_id.empty()) {
    channel_id.resize(identity::kChannelIdSize);
    randombytes_buf(channel_id.data(), channel_id.size());
  }
  d.set_channel_id(to_str(channel_id));
  d.set_agency_id(admin_.agency.agency_id);
  d.set_title(r.title());
  d.set_level(r.level());
  d.mutable_allowed_agencies()->CopyFrom(r.allowed_agencies());
  d.mutable_publishers()->CopyFrom(r.publishers());
  d.set_version(static_cast<std::uint64_t>(now_ms()));  // later changes carry later versions
  d.set_admin_id(admin_.admin_id);
  d.set_issued_at(now_s());
  if (auto s = identity::check_channel_shape(d, admin_); !s.ok()) {
    return respond_error(id, {api::INVALID_ARGUMENT, s.error().message});
  }
  idv1::AdminAct act;
  *act.mutable_set_channel() = identity::make_signed(identity::SignedKind::channel, d, *admin_key_);
  submit_act(id, std::move(act), [this, id, d](const pb::AdminActOk&) {
    Chan ch;
    ch.desc = d;
    ch.publisher = identity::may_publish(self_.user, d).ok();
    pb::ChannelInfo info;
    respond(id, [&](api::Response& resp) { *resp.mutable_channel() = channel_view(ch, info); });
  });
}

void Engine::subscribe_agency(std::uint64_t id, const api::SubscribeAgency& r) {
  if (r.channel_id().size() != identity::kChannelIdSize) {
    return respond_error(id, {api::INVALID_ARGUMENT, "a channel id is 16 bytes"});
  }
  idv1::AdminAct act;
  act.mutable_subscribe_agency()->set_channel_id(r.channel_id());
  act.mutable_subscribe_agency()->set_agency_id(admin_.agency.agency_id);
  submit_act(id, std::move(act), [this, id](const pb::AdminActOk& ok) {
    respond(id, [&](api::Response& resp) {
      resp.mutable_admin()->set_audit_seq(ok.audit_seq());
      resp.mutable_admin()->set_subscribed(ok.subscribed());
    });
  });
}

}  // namespace gchat::client
