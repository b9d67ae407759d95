// Conversations: creating them, changing who is in them, and taking the relay's deliveries in
// order (Welcomes, commits, proposals, application messages).

#include <sodium.h>

#include <algorithm>

#include "engine.hpp"
#include "gchat/identity/channel.hpp"

namespace gchat::client {

namespace {

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string to_str(BytesView b) { return std::string(b.begin(), b.end()); }
std::string person_key(const api::Person& p) { return p.agency_id() + "/" + p.user_id(); }

Result<mls::MlsMessage> decode_message(const std::string& payload) {
  return codec::decode_exact<mls::MlsMessage>(as_bytes(payload));
}

// The agency and user a leaf's chain names (the leaf was verified when it was admitted).
std::optional<std::string> person_at(const mls::RatchetTree& tree, mls::LeafIndex leaf) {
  const mls::LeafNode* node = tree.leaf(leaf);
  const auto user = node ? identity::user_of(node->credential) : std::nullopt;
  if (!user) return std::nullopt;
  return user->agency_id() + "/" + user->user_id();
}

// What this client commits on its own (RFC 9420 §12.4 leaves the choice to application policy):
// a member's refresh of its own leaf, a member's removal of its own device (leaving), and the
// relay's removals, whose administrator's act the proposal hook verified when they arrived.
// Anything else someone proposes waits for a person; nothing that removes this device is for it
// to commit.
bool commits_on_its_own(const mls::Group& group, const mls::PendingProposal& p) {
  const auto* remove = std::get_if<mls::Remove>(&p.proposal.body);
  if (remove && remove->removed == group.own_leaf()) return false;
  if (p.sender.sender_type == mls::SenderType::external) return remove != nullptr;
  if (p.sender.sender_type != mls::SenderType::member) return false;
  if (std::holds_alternative<mls::Update>(p.proposal.body)) return true;
  if (!remove) return false;
  const auto target = person_at(group.tree(), remove->removed);
  return target && target == person_at(group.tree(), p.sender.index);
}

constexpr std::size_t kMaxTitle = 200;
constexpr int kMaxPeoplePerRequest = 500;
constexpr auto kLinkRetry = std::chrono::seconds(2);
constexpr auto kBatchWindow = std::chrono::milliseconds(2);

}  // namespace

Engine::Conv* Engine::find(const Bytes& group_id) {
  auto it = convs_.find(group_id);
  return it == convs_.end() ? nullptr : &it->second;
}

Status Engine::save(const Bytes& group_id, Conv& c) {
  StoredGroup g;
  g.group_id = group_id;
  g.info = to_bytes(c.info.SerializeAsString());
  if (c.group) {
    g.state = c.group->serialize();
    GCHAT_TRY_STATUS(keep_publishers_key(group_id, *c.group));
  }
  if (c.channel) g.state = channel_state(*c.channel);
  g.next_seq = c.next_seq;
  g.pending_commit = c.pending_commit;
  g.pending_welcome = c.pending_welcome;
  if (c.pending_group) g.pending_state = c.pending_group->serialize();
  return store_->save_group(g);
}

Result<identity::VerifiedDevice> Engine::leaf_device(const mls::Group& g, mls::LeafIndex leaf) const {
  const mls::LeafNode* node = g.tree().leaf(leaf);
  if (!node) return fail(Errc::mls_invalid_sender, "no member at that leaf");
  return verifier_->verify_member(node->credential, node->signature_key);
}

// The conversation's view as front ends show it: policy and one entry per person.
void Engine::refresh_members(Conv& c) {
  if (!c.group) return;
  auto policy = identity::policy_of(c.group->context().extensions);
  if (policy.ok()) {
    c.info.set_kind(policy->kind());
    c.info.set_level(policy->level());
    c.info.set_title(policy->title());
    c.info.mutable_allowed_agencies()->CopyFrom(policy->allowed_agencies());
    c.info.mutable_admins()->CopyFrom(policy->admins());
  }
  c.info.clear_members();
  std::set<std::string> seen;
  std::uint32_t devices = 0;
  for (mls::LeafIndex i = 0; i < c.group->tree().leaf_count(); ++i) {
    if (!c.group->tree().leaf(i)) continue;
    ++devices;
    auto d = leaf_device(*c.group, i);
    if (!d.ok()) continue;
    api::Person p = person_of(d->user);
    if (seen.insert(person_key(p)).second) *c.info.add_members() = std::move(p);
  }
  c.info.set_devices(devices);
}

// ---------------------------------------------------------------------------------------------
// Requests

void Engine::list_conversations(std::uint64_t id) {
  api::Conversations out;
  for (auto& [gid, c] : convs_) {
    if (identity::channel_of_publishers_group(gid)) continue;  // the channel's own entry stands for it
    if (is_history_group(gid)) continue;                        // between this person's devices only
    api::Conversation info = c.info;
    info.set_conversation_id(to_str(gid));
    if (auto unread = store_->unread(gid, store_->read_position(gid)); unread.ok()) info.set_unread(*unread);
    if (auto last = store_->history(gid, 0, 1); last.ok() && !last->empty()) {
      if (auto m = load_message(last->back()); m.ok()) *info.mutable_last_message() = std::move(*m);
    }
    *out.add_conversations() = std::move(info);
  }
  respond(id, [&](api::Response& r) { *r.mutable_conversations() = std::move(out); });
}

void Engine::fetch_key_packages(std::vector<idv1::UserRef> people, std::vector<mls::KeyPackage> got,
                                std::function<void(Result<std::vector<mls::KeyPackage>>)> done) {
  if (people.empty()) return done(std::move(got));
  idv1::UserRef who = people.back();
  people.pop_back();
  pb::ClientFrame f;
  f.mutable_fetch_user_key_packages()->set_agency_id(who.agency_id());
  f.mutable_fetch_user_key_packages()->set_user_id(who.user_id());
  const bool self = who.agency_id() == self_.user.agency.agency_id && who.user_id() == self_.user.user_id;
  relay(std::move(f), [this, who, self, people = std::move(people), got = std::move(got),
                       done = std::move(done)](const pb::ServerFrame& reply) mutable {
    if (reply.has_error()) {
      const auto e = relay_error(reply.error());
      return done(fail(Errc::invalid_argument, e.message));
    }
    std::size_t found = 0;
    for (const auto& kp : reply.user_key_packages().key_packages()) {
      auto m = decode_message(kp.key_package());
      if (!m.ok() || !std::holds_alternative<mls::KeyPackage>(m->body)) continue;
      got.push_back(std::get<mls::KeyPackage>(m->body));
      ++found;
    }
    if (found == 0 && !self) {
      return done(fail(Errc::not_found, who.agency_id() + "/" + who.user_id() +
                                            " has no device ready (not enrolled, or never connected)"));
    }
    fetch_key_packages(std::move(people), std::move(got), std::move(done));
  });
}

Status Engine::admissible_all(const std::vector<mls::KeyPackage>& kps, const idv1::GroupPolicy& policy) const {
  for (const auto& kp : kps) {
    GCHAT_TRY(auto device, verifier_->verify(kp.leaf_node.credential, kp.leaf_node.signature_key));
    if (auto s = identity::admissible(device.user, policy); !s.ok()) {
      return fail(s.error().code, device.user.agency.agency_id + "/" + device.user.user_id + ": " + s.error().message);
    }
    if (policy.kind() == idv1::CHANNEL && (!identity::is_listed(policy.publishers(), device.user) || !device.user.may_publish)) {
      return fail(Errc::policy_not_permitted, device.user.agency.agency_id + "/" + device.user.user_id +
                                                  " may not publish on this channel");
    }
  }
  return {};
}

void Engine::create_conversation(std::uint64_t id, const api::CreateConversation& r) {
  if (r.kind() != idv1::DIRECT && r.kind() != idv1::GROUP) {
    return respond_error(id, {api::INVALID_ARGUMENT, "kind must be DIRECT or GROUP (channels come with their own API)"});
  }
  if (r.kind() == idv1::DIRECT && r.members_size() != 1) {
    return respond_error(id, {api::INVALID_ARGUMENT, "a direct chat has exactly one other person"});
  }
  if (r.members_size() > kMaxPeoplePerRequest || r.title().size() > kMaxTitle) {
    return respond_error(id, {api::INVALID_ARGUMENT, "too many members or too long a title"});
  }
  if (static_cast<int>(r.level()) > static_cast<int>(self_.user.clearance)) {
    return respond_error(id, {api::NOT_CLEARED, "you may not create a conversation above your own clearance"});
  }
  idv1::GroupPolicy policy;
  policy.set_kind(r.kind());
  policy.set_level(r.level());
  policy.set_title(r.title());
  policy.mutable_allowed_agencies()->CopyFrom(r.allowed_agencies());
  auto* admin = policy.add_admins();
  admin->set_agency_id(self_.user.agency.agency_id);
  admin->set_user_id(self_.user.user_id);
  // Clients refuse people the policy excludes before asking the relay for anything.
  std::vector<idv1::UserRef> people(r.members().begin(), r.members().end());
  idv1::UserRef me;
  me.set_agency_id(self_.user.agency.agency_id);
  me.set_user_id(self_.user.user_id);
  people.push_back(me);  // this person's other devices
  Bytes gid(16);
  randombytes_buf(gid.data(), gid.size());
  start_group(gid, policy, std::move(people), [this, id, gid](std::optional<ApiError> e) {
    if (e) return respond_error(id, *e);
    respond(id, [&](api::Response& resp) { *resp.mutable_conversation() = find(gid)->info; });
  });
}

void Engine::start_group(const Bytes& gid, const idv1::GroupPolicy& policy, std::vector<idv1::UserRef> people,
                         std::function<void(std::optional<ApiError>)> done) {
  fetch_key_packages(std::move(people), {}, [this, gid, policy, done](Result<std::vector<mls::KeyPackage>> kps) {
    if (!kps.ok()) return done(api_error(kps.error()));
    // Everyone is checked before anything is created (the commit would refuse them too).
    if (auto s = admissible_all(*kps, policy); !s.ok()) return done(api_error(s.error()));
    auto group = mls::Group::create(*suite_, gid, *mls_id_, rules(),
                                    identity::group_extensions(policy, identity::RelaySender{relay_key_, relay_id_}));
    if (!group.ok()) return done(api_error(group.error()));
    auto info = group->group_info();
    if (!info.ok()) return done(api_error(info.error()));
    pb::ClientFrame f;
    f.mutable_create_group()->set_group_id(to_str(gid));
    f.mutable_create_group()->set_group_info(to_str(codec::encode(*info)));
    auto shared = std::make_shared<mls::Group>(std::move(*group));
    relay(std::move(f), [this, gid, shared, done, adds = std::move(*kps)](const pb::ServerFrame& reply) {
      if (reply.has_error()) return done(relay_error(reply.error()));
      Conv& c = convs_[gid];
      c.group = std::move(*shared);
      c.next_seq = 1;
      refresh_members(c);
      c.info.set_conversation_id(to_str(gid));
      if (auto s = save(gid, c); !s.ok()) return done(api_error(s.error()));
      if (!identity::channel_of_publishers_group(gid) && !is_history_group(gid)) {
        event([&](api::Event& e) { *e.mutable_conversation() = c.info; });
      }
      if (adds.empty()) return done(std::nullopt);
      run_exclusive(gid, [this, gid, adds, done](Done release) {
        commit_changes(gid, adds, {}, [release, done](std::optional<ApiError> e) {
          release(e);
          done(e);
        });
      });
    });
  });
}

void Engine::change_members(std::uint64_t id, const Bytes& gid, const google::protobuf::RepeatedPtrField<idv1::UserRef>& who,
                            bool add) {
  Conv* c = find(gid);
  if (!c || !c->group || c->info.left()) return respond_error(id, {api::NOT_FOUND, "no such conversation"});
  if (c->info.kind() == idv1::DIRECT) return respond_error(id, {api::NOT_PERMITTED, "a direct chat keeps its two people"});
  if (who.empty() || who.size() > kMaxPeoplePerRequest) return respond_error(id, {api::INVALID_ARGUMENT, "name 1 to 500 people"});
  if (!add && !identity::is_listed(c->info.admins(), self_.user)) {
    return respond_error(id, {api::NOT_PERMITTED, "only the conversation's admins remove people"});
  }
  std::vector<idv1::UserRef> people(who.begin(), who.end());
  run_exclusive(gid, [this, id, gid, people, add](Done release) {
    auto finish = [this, id, gid, release](std::optional<ApiError> e) {
      release(e);
      if (e) return respond_error(id, *e);
      Conv* c2 = find(gid);
      respond(id, [&](api::Response& resp) { *resp.mutable_conversation() = c2->info; });
    };
    if (add) {
      return fetch_key_packages(people, {}, [this, gid, finish](Result<std::vector<mls::KeyPackage>> kps) {
        if (!kps.ok()) return finish(api_error(kps.error()));
        Conv* c3 = find(gid);
        if (!c3 || !c3->group) return finish(ApiError{api::NOT_FOUND, "no such conversation"});
        auto policy = identity::policy_of(c3->group->context().extensions);
        if (!policy.ok()) return finish(api_error(policy.error()));
        if (auto s = admissible_all(*kps, *policy); !s.ok()) return finish(api_error(s.error()));
        commit_changes(gid, *kps, {}, finish);
      });
    }
    Conv* c2 = find(gid);
    std::vector<mls::LeafIndex> leaves;
    for (mls::LeafIndex i = 0; i < c2->group->tree().leaf_count(); ++i) {
      if (!c2->group->tree().leaf(i) || i == c2->group->own_leaf()) continue;
      auto d = leaf_device(*c2->group, i);
      if (!d.ok()) continue;
      for (const auto& p : people) {
        if (p.agency_id() == d->user.agency.agency_id && p.user_id() == d->user.user_id) leaves.push_back(i);
      }
    }
    if (leaves.empty()) return finish(ApiError{api::NOT_FOUND, "none of these people is in the conversation"});
    commit_changes(gid, {}, leaves, finish);
  });
}

void Engine::change_conversation(std::uint64_t id, const api::ChangeConversation& r) {
  const Bytes gid = to_bytes(r.conversation_id());
  Conv* c = find(gid);
  if (!c || !c->group || c->info.left() || c->channel) return respond_error(id, {api::NOT_FOUND, "no such conversation"});
  if (c->info.kind() != idv1::GROUP) return respond_error(id, {api::NOT_PERMITTED, "only a group's policy can change"});
  if (!identity::is_listed(c->info.admins(), self_.user)) {
    return respond_error(id, {api::NOT_PERMITTED, "only the conversation's admins change its title, level or agencies"});
  }
  if (r.title().size() > kMaxTitle || !idv1::Clearance_IsValid(r.level())) {
    return respond_error(id, {api::INVALID_ARGUMENT, "too long a title or an unknown level"});
  }
  if (static_cast<int>(r.level()) > static_cast<int>(self_.user.clearance)) {
    return respond_error(id, {api::NOT_CLEARED, "you may not raise a conversation above your own clearance"});
  }
  auto policy = identity::policy_of(c->group->context().extensions);
  if (!policy.ok()) return respond_error(id, api_error(policy.error()));
  idv1::GroupPolicy next = *policy;
  if (!r.title().empty()) next.set_title(r.title());
  next.set_level(r.level());
  next.mutable_allowed_agencies()->CopyFrom(r.allowed_agencies());
  std::vector<mls::Extension> extensions = c->group->context().extensions;
  for (auto& e : extensions) {
    if (e.extension_type == identity::kPolicyExtensionType) e = identity::policy_extension(next);
  }
  run_exclusive(gid, [this, id, gid, extensions](Done release) {
    commit_changes(
        gid, {}, {},
        [this, id, gid, release](std::optional<ApiError> e) {
          release(e);
          if (e) return respond_error(id, *e);
          respond(id, [&](api::Response& resp) { *resp.mutable_conversation() = find(gid)->info; });
        },
        extensions);
  });
}

// A policy change in a conversation's history and to the front ends (the banner follows the new
// level): who changed what, and whether it was a declassification.
void Engine::policy_changed(const Bytes& gid, Conv& c, const idv1::GroupPolicy& before, std::optional<api::Sender> by,
                            std::uint64_t seq) {
  auto after = identity::policy_of(c.group ? c.group->context().extensions : std::vector<mls::Extension>{});
  if (!after.ok()) return;
  api::Message m;
  Bytes mid(16);
  randombytes_buf(mid.data(), mid.size());
  m.set_message_id(to_str(mid));
  m.set_conversation_id(to_str(gid));
  m.set_seq(seq);
  if (by) *m.mutable_sender() = *by;
  m.set_sent_at_ms(now_ms());
  m.set_status(api::RECEIVED);
  auto* pc = m.mutable_notice()->mutable_policy();
  pc->set_old_level(before.level());
  pc->set_new_level(after->level());
  pc->mutable_old_allowed_agencies()->CopyFrom(before.allowed_agencies());
  pc->mutable_new_allowed_agencies()->CopyFrom(after->allowed_agencies());
  pc->set_old_title(before.title());
  pc->set_new_title(after->title());
  pc->set_declassified(identity::declassifies(before, *after));
  api::LocalMessage local;
  *local.mutable_message() = m;
  local.set_conversation_level(after->level());
  auto row = store_->add_message(gid, as_bytes(m.message_id()), seq, api::RECEIVED, false,
                                 as_bytes(local.SerializeAsString()), "");
  if (!row.ok()) return problem(api_error(row.error()));
  event([&](api::Event& e) { *e.mutable_message() = m; });
  event([&](api::Event& e) { *e.mutable_conversation() = c.info; });
}

void Engine::leave(std::uint64_t id, const api::Leave& r) {
  const Bytes gid = to_bytes(r.conversation_id());
  Conv* c = find(gid);
  if (c && c->channel) return subscribe(id, gid, true);  // leaving a channel is unsubscribing
  if (!c || !c->group || c->info.left()) return respond_error(id, {api::NOT_FOUND, "no such conversation"});
  // A member cannot commit its own removal: it proposes it, and the others' clients commit it.
  auto proposal = c->group->propose_remove(c->group->own_leaf());
  if (!proposal.ok()) return respond_error(id, api_error(proposal.error()));
  when_online(
      false, std::chrono::seconds(15),
      [this, id, gid, payload = to_str(codec::encode(*proposal))] {
        pb::ClientFrame f;
        f.mutable_send()->set_group_id(to_str(gid));
        f.mutable_send()->set_kind(pb::HANDSHAKE);
        f.mutable_send()->set_payload(payload);
        relay(std::move(f), [this, id, gid](const pb::ServerFrame& reply) {
          if (reply.has_error()) return respond_error(id, relay_error(reply.error()));
          Conv* c2 = find(gid);
          if (c2) {
            c2->info.set_left(true);
            (void)save(gid, *c2);
          }
          respond(id, [](api::Response& resp) { resp.set_done(true); });
        });
      },
      [this, id](ApiError e) { respond_error(id, e); });
}

// ---------------------------------------------------------------------------------------------
// Commits: made on a copy, adopted when the relay hands the commit back in its place.

void Engine::run_exclusive(const Bytes& gid, std::function<void(Done)> op) {
  Conv* c = find(gid);
  if (!c) return;
  if (c->busy) {
    c->waiting_ops.push_back([this, gid, op = std::move(op)] { run_exclusive(gid, op); });
    return;
  }
  c->busy = true;
  op([this, gid](std::optional<ApiError>) {
    Conv* c2 = find(gid);
    if (!c2) return;
    c2->busy = false;
    if (!c2->waiting_ops.empty()) {
      auto next = std::move(c2->waiting_ops.front());
      c2->waiting_ops.pop_front();
      asio::post(ioc_, std::move(next));
    }
  });
}

void Engine::commit_changes(const Bytes& gid, const std::vector<mls::KeyPackage>& adds,
                            const std::vector<mls::LeafIndex>& removes, Done done,
                            std::optional<std::vector<mls::Extension>> extensions) {
  Conv* c = find(gid);
  settle();
  if (!c || !c->group || c->info.left()) return done(ApiError{api::NOT_FOUND, "no such conversation"});
  if (!authenticated_) return done(ApiError{api::OFFLINE, "changing members needs the relay"});
  if (!c->pending_commit.empty()) return done(ApiError{api::CONFLICT, "another change is on its way; try again"});
  auto copy = mls::Group::deserialize(*suite_, c->group->serialize(), *mls_id_, rules());
  if (!copy.ok()) return done(api_error(copy.error()));
  mls::CommitOptions options;
  options.extensions = std::move(extensions);
  const mls::Group* before = &*c->group;
  options.take_pending = [before](const mls::PendingProposal& p) { return commits_on_its_own(*before, p); };
  auto out = copy->commit(adds, removes, static_cast<std::uint64_t>(now_s()), options);
  if (!out.ok()) return done(api_error(out.error()));
  c->pending_commit = codec::encode(out->commit);
  c->pending_welcome = out->welcome ? codec::encode(*out->welcome) : Bytes{};
  c->pending_group = std::move(*copy);
  if (auto s = save(gid, *c); !s.ok()) {
    c->pending_commit.clear();
    c->pending_welcome.clear();
    c->pending_group.reset();
    return done(api_error(s.error()));
  }
  c->on_commit_placed = std::move(done);
  pb::ClientFrame f;
  f.mutable_send()->set_group_id(to_str(gid));
  f.mutable_send()->set_kind(pb::HANDSHAKE);
  f.mutable_send()->set_payload(to_str(c->pending_commit));
  relay(std::move(f), [this, gid](const pb::ServerFrame& reply) {
    if (!reply.has_error()) return;  // placed: adopted when it comes back
    Conv* c2 = find(gid);
    if (!c2 || c2->pending_commit.empty()) return;
    Done waiter = std::move(c2->on_commit_placed);
    c2->on_commit_placed = nullptr;
    // A lost connection leaves the question open: the commit may be in place; the stream tells.
    if (reply.error().code() == pb::SHUTTING_DOWN) {
      if (waiter) waiter(ApiError{api::OFFLINE, "the connection dropped; the change completes when it is back"});
      return;
    }
    drop_pending(*c2, gid);
    if (waiter) waiter(relay_error(reply.error()));
  });
}

void Engine::drop_pending(Conv& c, const Bytes& gid) {
  c.pending_commit.clear();
  c.pending_welcome.clear();
  c.pending_group.reset();
  (void)save(gid, c);
  if (c.on_commit_placed) {
    Done waiter = std::move(c.on_commit_placed);
    c.on_commit_placed = nullptr;
    waiter(ApiError{api::CONFLICT, "another member changed the conversation first; try again"});
  }
}

void Engine::adopt_pending(Conv& c, const Bytes& gid) {
  c.group = std::move(c.pending_group);
  c.pending_group.reset();
  c.pending_commit.clear();
  Bytes welcome = std::move(c.pending_welcome);
  c.pending_welcome.clear();
  Done waiter = std::move(c.on_commit_placed);
  c.on_commit_placed = nullptr;
  if (welcome.empty()) {
    if (waiter) asio::post(ioc_, [waiter] { waiter(std::nullopt); });
    return;
  }
  // After the transaction that adopts the commit: the Welcome follows it on the relay.
  asio::post(ioc_, [this, gid, welcome = std::move(welcome), waiter] {
    pb::ClientFrame f;
    f.mutable_send()->set_group_id(to_str(gid));
    f.mutable_send()->set_kind(pb::WELCOME);
    f.mutable_send()->set_payload(to_str(welcome));
    relay(std::move(f), [this, waiter](const pb::ServerFrame& reply) {
      if (reply.has_error()) {
        problem(relay_error(reply.error()));
        if (waiter) waiter(relay_error(reply.error()));
        return;
      }
      if (waiter) waiter(std::nullopt);
    });
  });
}

void Engine::commit_waiting_proposals(const Bytes& gid) {
  Conv* c = find(gid);
  if (!c || !c->proposals_waiting || !c->group || c->info.left() || !authenticated_) return;
  run_exclusive(gid, [this, gid](Done release) {
    Conv* c2 = find(gid);
    if (!c2 || !c2->proposals_waiting) return release(std::nullopt);
    c2->proposals_waiting = false;
    commit_changes(gid, {}, {}, [release](std::optional<ApiError> e) { release(e); });
  });
}

// A device this one linked joins every conversation this one is in, one commit each, as soon as
// the new device has published key packages.
void Engine::process_pending_links() {
  if (linking_ || !authenticated_ || !loaded_) return;
  settle();
  auto links = store_->pending_links();
  if (!links.ok() || links->empty()) return;
  const Bytes device = links->front();
  if (start_history_link(device)) return;
  for (auto& [gid, c] : convs_) {
    if (!joins_for_link(gid, c, device)) continue;
    if (!leaves_of(*c.group, device).empty()) continue;
    linking_ = true;
    note_link_added(device, gid);
    pb::ClientFrame f;
    f.mutable_fetch_key_package()->set_device_key(to_str(device));
    const Bytes group_id = gid;
    relay(std::move(f), [this, group_id](const pb::ServerFrame& reply) {
      auto retry_later = [this] {
        linking_ = false;
        link_timer_.expires_after(kLinkRetry);
        link_timer_.async_wait([this](boost::system::error_code ec) {
          if (!ec && !stopping_) process_pending_links();
        });
      };
      if (!reply.has_key_package()) return retry_later();
      auto m = decode_message(reply.key_package().key_package());
      if (!m.ok() || !std::holds_alternative<mls::KeyPackage>(m->body)) return retry_later();
      run_exclusive(group_id, [this, group_id, kp = std::get<mls::KeyPackage>(m->body), retry_later](Done release) {
        commit_changes(group_id, {kp}, {}, [this, release, retry_later](std::optional<ApiError> e) {
          release(e);
          if (e) return retry_later();
          linking_ = false;
          process_pending_links();
        });
      });
    });
    return;
  }
  // In every conversation now.
  (void)store_->drop_pending_link(device);
  process_pending_links();
}

// ---------------------------------------------------------------------------------------------
// Deliveries, in order per conversation.

void Engine::ack(const Bytes& gid, std::uint64_t seq) {
  pb::ClientFrame f;
  f.mutable_ack()->set_group_id(to_str(gid));
  f.mutable_ack()->set_seq(seq);
  relay(std::move(f), [](const pb::ServerFrame&) {});
}

void Engine::on_delivery(const pb::Delivery& d) {
  if (!loaded_ || !mls_id_) return;
  const Bytes gid = to_bytes(d.group_id());
  Conv* c = find(gid);
  if (c && !c->group && (!c->channel || c->info.left())) return ack(gid, d.seq());  // left: nothing more to read
  if (!c) {
    settle();
    bool joined = false;
    if (d.kind() == pb::WELCOME) {
      if (auto s = store_->begin(); !s.ok()) return problem(api_error(s.error()));
      auto s = join_from_welcome(d, joined);
      if (!s.ok()) {
        store_->rollback();
        problem(api_error(s.error()));
        joined = false;
      } else if (auto s2 = store_->commit(); !s2.ok()) {
        convs_.erase(gid);
        return problem(api_error(s2.error()));
      }
    }
    if (!joined) {
      // Before our Welcome (or for another joiner): kept until we join.
      BufferedDelivery b{gid, d.seq(), d.kind(), to_bytes(d.sender_key()), to_bytes(d.payload()), d.server_time_ms()};
      if (auto s = store_->buffer(b); !s.ok()) problem(api_error(s.error()));
      return ack(gid, d.seq());
    }
    ack(gid, d.seq());
    if (!is_history_group(gid)) event([&](api::Event& e) { *e.mutable_conversation() = find(gid)->info; });
    after_join(gid);
    auto waiting = store_->buffered(gid);
    (void)store_->drop_buffered(gid);
    if (waiting.ok()) {
      for (const auto& b : *waiting) {
        if (b.seq <= d.seq()) continue;
        pb::Delivery again;
        again.set_group_id(d.group_id());
        again.set_seq(b.seq);
        again.set_kind(static_cast<pb::MessageKind>(b.kind));
        again.set_sender_key(to_str(b.sender_key));
        again.set_payload(to_str(b.payload));
        again.set_server_time_ms(b.time_ms);
        on_delivery(again);
      }
    }
    return;
  }
  if (d.seq() < c->next_seq) return ack(gid, d.seq());  // seen before a restart
  // Deliveries arriving together share one transaction (and one save of each conversation's state,
  // one fsync, one acknowledgement per conversation): finish_batch runs once the frames already
  // received have been handled.
  if (auto s = open_batch(); !s.ok()) return problem(api_error(s.error()));
  auto processed = process_delivery(d, c);
  c->next_seq = d.seq() + 1;
  batch_acks_[gid] = d.seq();
  if (!processed.ok()) problem(api_error(processed.error()));
}

void Engine::finish_batch() {
  if (!batch_open_) return;
  batch_open_ = false;
  batch_timer_.cancel();
  Status saved;
  for (const auto& [gid, seq] : batch_acks_) {
    if (Conv* c = find(gid); c && saved.ok()) saved = save(gid, *c);
  }
  if (saved.ok()) saved = store_->commit();
  auto outputs = std::move(deferred_);
  deferred_.clear();
  auto acks = std::move(batch_acks_);
  batch_acks_.clear();
  if (!saved.ok()) {
    // The store did not take it: memory is ahead of disk. Start again from the disk, and let the
    // relay deliver the messages again (they are not acknowledged). Only responses are passed on.
    store_->rollback();
    for (auto& o : outputs) {
      if (o.has_response()) emit_(std::move(o));
    }
    problem(api_error(saved.error()));
    reload_from_disk();
    if (conn_) conn_->close();
    return on_closed("the local store failed: " + saved.error().message);
  }
  for (auto& o : outputs) emit_(std::move(o));
  for (const auto& [gid, seq] : acks) {
    ack(gid, seq);
    if (Conv* c = find(gid); c && c->proposals_waiting) asio::post(ioc_, [this, g = gid] { commit_waiting_proposals(g); });
  }
}

Status Engine::open_batch() {
  if (batch_open_) return {};
  GCHAT_TRY_STATUS(store_->begin());
  batch_open_ = true;
  // A short window collects what arrives meanwhile (one WebSocket message is read per turn of the
  // event loop): one fsync for a burst instead of one per message, for a couple of milliseconds.
  batch_timer_.expires_after(kBatchWindow);
  batch_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) finish_batch();
  });
  return {};
}

void Engine::settle() {
  if (batch_open_) finish_batch();
}

Status Engine::process_delivery(const pb::Delivery& d, Conv* c) {
  if (c->channel) return process_channel_post(d, *c);
  const std::int64_t accepted = static_cast<std::int64_t>(d.server_time_ms() / 1000);
  as_of_ = accepted > 0 ? std::min(accepted, now_s()) : now_s();
  struct Reset {
    std::optional<std::int64_t>& as_of;
    ~Reset() { as_of.reset(); }
  } reset{as_of_};
  switch (d.kind()) {
    case pb::HANDSHAKE: return process_handshake(d, *c);
    case pb::APPLICATION: return process_application(d, *c);
    default: return {};  // a Welcome for others
  }
}

Status Engine::join_from_welcome(const pb::Delivery& d, bool& joined) {
  GCHAT_TRY(auto m, decode_message(d.payload()));
  const auto* welcome = std::get_if<mls::Welcome>(&m.body);
  if (!welcome) return fail(Errc::mls_invalid_welcome, "a WELCOME delivery that is not a Welcome");
  for (const auto& secret : welcome->secrets) {
    // The key package is used up only by a Welcome that joins: a forged one does not burn it.
    GCHAT_TRY(auto packed, store_->key_package(secret.new_member));
    if (!packed) continue;
    GCHAT_TRY(auto bundle, unpack_bundle(*packed));
    mls::JoinOptions options;
    options.rules = rules();
    GCHAT_TRY(auto group, mls::Group::join(*suite_, *welcome, std::move(bundle), *mls_id_, options));
    const Bytes gid = to_bytes(d.group_id());
    if (group.group_id() != gid) return fail(Errc::mls_wrong_group, "a Welcome for another conversation");
    GCHAT_TRY_STATUS(store_->drop_key_package(secret.new_member));
    Conv& c = convs_[gid];
    c.group = std::move(group);
    c.next_seq = d.seq() + 1;
    refresh_members(c);
    c.info.set_conversation_id(to_str(gid));
    GCHAT_TRY_STATUS(save(gid, c));
    joined = true;
    // Added to a channel's publishers: this device reads (and posts in) the channel's stream too.
    if (auto channel_id = identity::channel_of_publishers_group(gid); channel_id && !find(*channel_id)) {
      asio::post(ioc_, [this, cid = *channel_id] { subscribe(kOwnRequest, cid, false); });
    }
    return {};
  }
  return {};
}

Status Engine::process_handshake(const pb::Delivery& d, Conv& c) {
  const Bytes gid = to_bytes(d.group_id());
  const bool own = same_bytes(as_bytes(d.sender_key()), device_key_->public_key());
  std::vector<std::string> before;
  for (const auto& p : c.info.members()) before.push_back(person_key(p));
  auto membership_event = [&](std::optional<api::Sender> by, bool self_removed) {
    api::MembershipChanged mc;
    mc.set_conversation_id(to_str(gid));
    std::set<std::string> after;
    for (const auto& p : c.info.members()) {
      after.insert(person_key(p));
      if (std::find(before.begin(), before.end(), person_key(p)) == before.end()) *mc.add_added() = p;
    }
    for (const auto& k : before) {
      if (after.count(k)) continue;
      api::Person* p = mc.add_removed();
      p->set_agency_id(k.substr(0, k.find('/')));
      p->set_user_id(k.substr(k.find('/') + 1));
    }
    if (by) *mc.mutable_by() = *by;
    mc.set_self_removed(self_removed);
    if (is_history_group(gid)) return;  // not a conversation of the person's
    event([&](api::Event& e) { *e.mutable_membership() = mc; });
  };
  const auto policy_before = c.group ? identity::policy_of(c.group->context().extensions)
                                     : Result<idv1::GroupPolicy>(fail(Errc::not_found, ""));
  auto policy_moved = [&](std::optional<api::Sender> by) {
    if (!policy_before.ok() || !c.group) return;
    auto after = identity::policy_of(c.group->context().extensions);
    if (after.ok() && identity::serialize_canonical(*after) != identity::serialize_canonical(*policy_before)) {
      policy_changed(gid, c, *policy_before, std::move(by), d.seq());
    }
  };
  if (own && !c.pending_commit.empty() && same_bytes(as_bytes(d.payload()), c.pending_commit)) {
    adopt_pending(c, gid);
    refresh_members(c);
    membership_event(self_sender(), false);
    policy_moved(self_sender());
    return {};
  }
  if (own) return {};  // our own proposal (leaving), cached when made
  GCHAT_TRY(auto m, decode_message(d.payload()));
  GCHAT_TRY(auto received, c.group->process(m));
  if (received.kind == mls::Received::Kind::proposal) {
    // Someone else's proposal, accepted by the proposal hook for its sender. The relay's removals
    // (with their administrator's act) and a member leaving are committed by any member at once;
    // anything else waits.
    const auto& pending = c.group->pending_proposals();
    if (!pending.empty() && commits_on_its_own(*c.group, pending.back())) c.proposals_waiting = true;
    return {};
  }
  if (received.kind != mls::Received::Kind::commit) return {};
  c.proposals_waiting = false;
  std::optional<api::Sender> by;
  if (received.sender_type == mls::SenderType::member && !received.we_were_removed) {
    if (auto dev = leaf_device(*c.group, received.sender); dev.ok()) by = sender_of(*dev);
  }
  if (!c.pending_commit.empty()) drop_pending(c, gid);  // ours lost the race
  if (received.we_were_removed) {
    c.group.reset();
    c.info.set_left(true);
    membership_event(by, true);
    return {};
  }
  refresh_members(c);
  membership_event(by, false);
  if (received.extensions_changed) {
    std::optional<api::Sender> proposer;
    if (auto dev = leaf_device(*c.group, received.extensions_by); dev.ok()) proposer = sender_of(*dev);
    policy_moved(proposer);
  }
  return {};
}

Status Engine::process_application(const pb::Delivery& d, Conv& c) {
  if (same_bytes(as_bytes(d.sender_key()), device_key_->public_key())) {
    own_application(d, c);
    return {};
  }
  GCHAT_TRY(auto m, decode_message(d.payload()));
  auto received = c.group->process(m);
  if (!received.ok()) {
    // Counted, and told to the front ends — except a message from an epoch we left behind, which
    // its sender sends again in the current one (counted only).
    ++undecryptable_;
    if (received.error().code == Errc::mls_wrong_epoch) return {};
    return fail(received.error().code, "a message could not be opened: " + received.error().message);
  }
  if (received->kind != mls::Received::Kind::application) {
    return fail(Errc::mls_invalid_message, "a handshake sent as an application message");
  }
  const mls::LeafNode* leaf = c.group->tree().leaf(received->sender);
  if (!leaf) return fail(Errc::mls_invalid_sender, "a message from an empty leaf");
  GCHAT_TRY(auto from, verifier_->verify_member(leaf->credential, leaf->signature_key));
  if (is_history_group(as_bytes(d.group_id()))) return receive_history(d, c, received->application_data, from);
  return receive_post(d, c, received->application_data, from, leaf->credential.identity);
}

}  // namespace gchat::client
