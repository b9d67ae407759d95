// The Backend's actions on conversations, people, channels, search and clearance: each a request to
// the client core, answered on the UI thread (see backend.hpp).
#include <QFile>
#include <algorithm>

#include "backend_detail.hpp"
#include "gchat/identity/directory.hpp"
#include "gchat/desktop/backend.hpp"

namespace gchat::desktop {

using namespace detail;  // NOLINT: this file's own helpers

// ---------------------------------------------------------------------------------------------
// Conversations and messages.
// ---------------------------------------------------------------------------------------------
QString Backend::current_title() const {
  const auto* c = conversations_.find(current_);
  return c ? conversations_.title_of(*c) : QString();
}
int Backend::current_level() const {
  const auto* c = conversations_.find(current_);
  return c ? static_cast<int>(c->level()) : 0;
}
int Backend::current_kind() const {
  const auto* c = conversations_.find(current_);
  return c ? static_cast<int>(c->kind()) : 0;
}
bool Backend::current_can_post() const {
  const auto* c = conversations_.find(current_);
  return c && !c->left() && (c->kind() != idv1::CHANNEL || c->can_post());
}
QString Backend::current_members() const {
  const auto* c = conversations_.find(current_);
  if (!c) return {};
  QStringList names;
  for (const auto& m : c->members()) names << presentation_.name(m);
  return names.join(QStringLiteral(", "));
}

bool Backend::current_is_admin() const {
  const auto* c = conversations_.find(current_);
  if (!c || c->left() || c->kind() != idv1::GROUP) return false;
  return std::any_of(c->admins().begin(), c->admins().end(), [&](const idv1::UserRef& a) {
    return a.agency_id() == self_.person().agency_id() && a.user_id() == self_.person().user_id();
  });
}

void Backend::openConversation(const QString& id_hex) {
  const QByteArray id = QByteArray::fromHex(id_hex.toLatin1());
  if (!conversations_.find(id)) return;
  current_ = id;
  messages_.reset(id, {});
  emit currentChanged();
  api::Request r;
  r.mutable_history()->set_conversation_id(string_of(id));
  r.mutable_history()->set_limit(kHistoryPage);
  submit(std::move(r), [this, id](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    if (id != current_) return;  // another conversation was opened meanwhile
    messages_.reset(id, resp.messages());
    mark_read();
  });
}

void Backend::closeConversation() {
  current_.clear();
  messages_.clear();
  emit currentChanged();
}

void Backend::loadOlder() {
  if (current_.isEmpty() || !messages_.more() || messages_.rowCount() == 0) return;
  const QByteArray id = current_;
  api::Request r;
  r.mutable_history()->set_conversation_id(string_of(id));
  r.mutable_history()->set_limit(kHistoryPage);
  const auto first = messages_.index(0).data(MessageModel::IdRole).toString();
  r.mutable_history()->set_before_message_id(hex_to_string(first));
  submit(std::move(r), [this, id](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    if (id == current_) messages_.prepend(resp.messages());
  }, false);
}

void Backend::mark_read() {
  if (current_.isEmpty()) return;
  conversations_.clear_unread(current_);
  api::Request r;
  r.mutable_mark_read()->set_conversation_id(string_of(current_));
  submit(std::move(r), [](const api::Response&) {}, false);
}

void Backend::sendText(const QString& text, const QString& reply_to_hex) {
  const QString body = text.trimmed();
  if (current_.isEmpty() || body.isEmpty()) return;
  api::Request r;
  r.mutable_send_text()->set_conversation_id(string_of(current_));
  r.mutable_send_text()->set_text(body.toStdString());
  if (!reply_to_hex.isEmpty()) r.mutable_send_text()->set_reply_to(hex_to_string(reply_to_hex));
  const QByteArray id = current_;
  submit(std::move(r), [this, id](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    messages_.add(resp.message());
    conversations_.on_message(resp.message(), true);
  }, false);
}

QString Backend::forwardProblem(const QString& to_id_hex) const {
  const auto* from = conversations_.find(current_);
  const auto* to = conversations_.find(QByteArray::fromHex(to_id_hex.toLatin1()));
  if (!from || !to) return tr("Not found.");
  if (to->level() < from->level()) {
    return tr("Cannot forward: this message is %1 and \"%2\" is only %3. Forwarding into a lower "
              "classification would disclose it to people not cleared for it.")
        .arg(level_label(from->level()), conversations_.title_of(*to), level_label(to->level()));
  }
  if (to->kind() == idv1::CHANNEL && !to->can_post()) return tr("Only the channel's publishers can post in it.");
  return {};
}

void Backend::forward(const QString& message_id_hex, const QString& to_id_hex) {
  if (const QString problem = forwardProblem(to_id_hex); !problem.isEmpty()) {
    set_error_text(problem);
    return;
  }
  api::Request r;
  r.mutable_forward()->set_message_id(hex_to_string(message_id_hex));
  r.mutable_forward()->set_to_conversation_id(hex_to_string(to_id_hex));
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    conversations_.on_message(resp.message(), true);
    emit done(tr("Forwarded"));
  });
}

void Backend::changeConversation(const QString& title, int level) {
  const auto* c = conversations_.find(current_);
  if (!c) return;
  api::Request r;
  auto* change = r.mutable_change_conversation();
  change->set_conversation_id(c->conversation_id());
  change->set_title(title.trimmed().toStdString());
  change->set_level(static_cast<idv1::Clearance>(std::clamp(level, 0, 3)));
  *change->mutable_allowed_agencies() = c->allowed_agencies();  // each field replaces the current one
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    // The notice in the history and the banners are the confirmation (a toast would cover the banner).
    conversations_.upsert(resp.conversation());
    if (bytes_of(resp.conversation().conversation_id()) == current_) emit currentChanged();
  });
}

void Backend::leaveConversation() {
  if (current_.isEmpty()) return;
  api::Request r;
  r.mutable_leave()->set_conversation_id(string_of(current_));
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    closeConversation();
    refresh_conversations();
  });
}

// ---------------------------------------------------------------------------------------------
// New conversations.
// ---------------------------------------------------------------------------------------------
void Backend::findPeople(const QString& query) {
  const QString q = query.trimmed();
  // The directory answers from 3 characters across agencies (Thai letters are one UTF-16 unit each).
  if (static_cast<std::size_t>(q.size()) < identity::kMinCrossAgencyQuery) return people_.reset({});
  api::Request r;
  r.mutable_find_people()->set_query(q.toStdString());
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    people_.reset(resp.people());
  }, false);
}

void Backend::createGroup(const QString& title, int level, bool other_agencies) {
  if (title.trimmed().isEmpty()) return set_error_text(tr("Give the group a name."));
  const auto picked = people_.selected_people();
  if (picked.empty()) return set_error_text(tr("Choose at least one member."));
  api::Request r;
  auto* c = r.mutable_create_conversation();
  c->set_kind(idv1::GROUP);
  c->set_title(title.trimmed().toStdString());
  c->set_level(static_cast<idv1::Clearance>(std::clamp(level, 0, 3)));
  bool foreign = false;
  for (const auto& p : picked) {
    *c->add_members() = user_ref(p.agency_id(), p.user_id());
    foreign = foreign || p.agency_id() != self_.person().agency_id();
  }
  // Own agency only, unless the creator opened it (members from elsewhere need that too).
  if (!other_agencies && !foreign) c->add_allowed_agencies(self_.person().agency_id());
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    conversations_.upsert(resp.conversation());
    people_.clearSelection();
    const QString id = QString::fromLatin1(bytes_of(resp.conversation().conversation_id()).toHex());
    emit groupCreated(id);
    openConversation(id);
  });
}

void Backend::createDirect(int people_row) {
  const auto key = people_.index(people_row).data(PeopleModel::KeyRole).toString();
  if (key.isEmpty() || people_.index(people_row).data(PeopleModel::SelfRole).toBool()) return;
  api::Request r;
  auto* c = r.mutable_create_conversation();
  c->set_kind(idv1::DIRECT);
  const auto parts = key.split('/');
  *c->add_members() = user_ref(parts.value(0).toStdString(), parts.value(1).toStdString());
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    conversations_.upsert(resp.conversation());
    const QString id = QString::fromLatin1(bytes_of(resp.conversation().conversation_id()).toHex());
    emit groupCreated(id);
    openConversation(id);
  });
}

// ---------------------------------------------------------------------------------------------
// Channels and search.
// ---------------------------------------------------------------------------------------------
void Backend::refreshChannels() {
  api::Request r;
  r.mutable_list_channels();
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    channels_.reset(resp.channels());
  });
}

void Backend::subscribe(const QString& channel_id_hex, bool on) {
  api::Request r;
  const std::string id = hex_to_string(channel_id_hex);
  if (on) {
    r.mutable_subscribe()->set_channel_id(id);
  } else {
    r.mutable_unsubscribe()->set_channel_id(id);
  }
  submit(std::move(r), [this, id, on](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    channels_.set_subscribed(bytes_of(id), on);
    if (!on && bytes_of(id) == current_) closeConversation();
    refresh_conversations();
    emit done(on ? tr("Subscribed") : tr("Unsubscribed"));
  });
}

void Backend::search(const QString& query) {
  if (query.trimmed().isEmpty()) return search_results_.reset({}, {});
  api::Request r;
  r.mutable_search()->set_query(query.trimmed().toStdString());
  r.mutable_search()->set_limit(100);
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    search_results_.reset({}, resp.messages());
  }, false);
}

// ---------------------------------------------------------------------------------------------
// Clearance officers.
// ---------------------------------------------------------------------------------------------
void Backend::importAdminKey(const QString& key_path, const QString& passphrase, const QString& chain_path) {
  QFile key_file(key_path), chain_file(chain_path);
  if (!key_file.open(QIODevice::ReadOnly)) return set_error_text(tr("Cannot read %1").arg(key_path));
  if (!chain_file.open(QIODevice::ReadOnly)) return set_error_text(tr("Cannot read %1").arg(chain_path));
  // Both files are small; a larger one is not ours.
  const QByteArray key = key_file.read(64 * 1024), chain = chain_file.read(64 * 1024);
  api::Request r;
  r.mutable_import_admin_key()->set_key_file(string_of(key));
  r.mutable_import_admin_key()->set_admin_chain(string_of(chain));
  std::string pass = passphrase.toStdString();
  r.mutable_import_admin_key()->set_passphrase(pass);
  std::fill(pass.begin(), pass.end(), '\0');
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    admin_ = resp.admin_identity();
    emit adminChanged();
    emit done(tr("Administrator key imported"));
  });
}

void Backend::adminFind(const QString& query) {
  if (admin_.agency_id().empty()) return;
  api::Request r;
  r.mutable_find_people()->set_query(query.trimmed().toStdString());
  r.mutable_find_people()->set_agency_id(admin_.agency_id());  // an officer manages their own agency
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    admin_people_.reset(resp.people());
  }, false);
}

void Backend::setClearance(const QString& agency_user, int level) {
  const auto parts = agency_user.split('/');
  if (parts.size() != 2) return;
  api::Request r;
  *r.mutable_set_clearance()->mutable_user() = user_ref(parts[0].toStdString(), parts[1].toStdString());
  r.mutable_set_clearance()->set_level(static_cast<idv1::Clearance>(std::clamp(level, 0, 3)));
  submit(std::move(r), [this, agency_user, level](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    emit done(tr("Clearance of %1 changed from %2 to %3")
                  .arg(agency_user, level_label(resp.admin().previous()), level_label(level)));
  });
}

void Backend::revokeDevice(const QString& device_key_hex) {
  api::Request r;
  r.mutable_revoke_device()->set_device_key(hex_to_string(device_key_hex));
  submit(std::move(r), [this](const api::Response& resp) {
    if (resp.has_error()) return set_error(resp.error());
    emit done(tr("Device revoked"));
  });
}

}  // namespace gchat::desktop
