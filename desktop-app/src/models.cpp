#include "gchat/desktop/models.hpp"

#include <QDateTime>
#include <algorithm>

namespace gchat::desktop {

QByteArray bytes_of(const std::string& s) { return QByteArray(s.data(), static_cast<qsizetype>(s.size())); }
std::string string_of(const QByteArray& b) { return std::string(b.constData(), static_cast<std::size_t>(b.size())); }

QVariantMap row_as_map(const QAbstractListModel& model, int row) {
  QVariantMap out;
  if (row < 0 || row >= model.rowCount()) return out;
  const auto names = model.roleNames();
  for (auto it = names.begin(); it != names.end(); ++it) {
    out.insert(QString::fromLatin1(it.value()), model.data(model.index(row), it.key()));
  }
  return out;
}

namespace {

QString hex_of(const std::string& s) { return QString::fromLatin1(bytes_of(s).toHex()); }
std::string from_hex(const QString& h) { return string_of(QByteArray::fromHex(h.toLatin1())); }
QString text_of(const std::string& s) { return QString::fromStdString(s); }

QStringList agencies_of(const google::protobuf::RepeatedPtrField<std::string>& list) {
  QStringList out;
  for (const auto& a : list) out << text_of(a);
  out.sort();
  return out;
}

// More agencies admitted than before: from a list to any agency, or an agency the list lacked.
bool admits_more(const QStringList& before, const QStringList& after) {
  if (before.isEmpty()) return false;
  if (after.isEmpty()) return true;
  return std::any_of(after.begin(), after.end(), [&](const QString& a) { return !before.contains(a); });
}

// A lower level or more agencies, whatever the flag says: a declassification must never look harmless.
bool declassifies(const api::PolicyChanged& pc) {
  return pc.declassified() || pc.new_level() < pc.old_level() ||
         admits_more(agencies_of(pc.old_allowed_agencies()), agencies_of(pc.new_allowed_agencies()));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
QString Presentation::name(const api::Person& p) const {
  const QString n = pick_name(text_of(p.name_th()), text_of(p.name_en()), language);
  return n.isEmpty() ? text_of(p.agency_id() + "/" + p.user_id()) : n;
}
QString Presentation::agency(const api::Person& p) const {
  const QString a = pick_name(text_of(p.agency_name_th()), text_of(p.agency_name_en()), language);
  return a.isEmpty() ? text_of(p.agency_id()) : a;
}
QString Presentation::time(std::int64_t ms) const {
  return format_time(QDateTime::fromMSecsSinceEpoch(ms), QDateTime::currentDateTime(), language, calendar);
}
QString Presentation::full_time(std::int64_t ms) const {
  return format_full_time(QDateTime::fromMSecsSinceEpoch(ms), language, calendar);
}
bool Presentation::is_self(const api::Person& p) const {
  return text_of(p.agency_id()) == self_agency && text_of(p.user_id()) == self_user;
}

QString Presentation::notice(const api::Message& m) const {
  if (!m.has_notice()) return {};
  // A kind of notice this app does not know yet still says that something changed, and who did it.
  const auto& pc = m.notice().policy();
  const auto level = [this](int l) { return language == Language::thai ? level_thai(l) : level_english(l); };
  QStringList parts;
  if (pc.new_level() != pc.old_level()) {
    parts << (pc.new_level() < pc.old_level() ? tr("Declassified: %1 → %2") : tr("Classification changed: %1 → %2"))
                 .arg(level(pc.old_level()), level(pc.new_level()));
  }
  if (pc.new_title() != pc.old_title()) {
    parts << tr("Renamed: “%1” → “%2”").arg(text_of(pc.old_title()), text_of(pc.new_title()));
  }
  const QStringList before = agencies_of(pc.old_allowed_agencies()), after = agencies_of(pc.new_allowed_agencies());
  if (before != after) {
    const auto listed = [](const QStringList& l) { return l.isEmpty() ? tr("any agency") : l.join(QStringLiteral(", ")); };
    parts << (admits_more(before, after) ? tr("Opened to more agencies: %1 → %2") : tr("Agencies admitted: %1 → %2"))
                 .arg(listed(before), listed(after));
  }
  if (parts.isEmpty()) parts << tr("Conversation settings changed");
  const QString what = parts.join(QStringLiteral("; "));
  // One pass of arg(): a title containing "%1" stays as typed.
  return m.sender().has_person() ? tr("%1 by %2").arg(what, name(m.sender().person())) : what;
}

QString Presentation::preview(const api::Message& m) const {
  return m.has_notice() ? notice(m) : text_of(m.text()).simplified().left(120);
}

// ---------------------------------------------------------------------------------------------
int ConversationModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QString ConversationModel::title_of(const api::Conversation& c) const {
  if (c.kind() == gchat::identity::v1::DIRECT) {
    for (const auto& m : c.members()) {
      if (!p_->is_self(m)) return p_->name(m);
    }
  }
  return c.title().empty() ? QStringLiteral("…") : text_of(c.title());
}

QVariant ConversationModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& c = rows_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case IdRole: return hex_of(c.conversation_id());
    case Qt::DisplayRole:
    case TitleRole: return title_of(c);
    case KindRole: return static_cast<int>(c.kind());
    case LevelRole: return static_cast<int>(c.level());
    case LevelLabelRole: return level_label(c.level());
    case LevelColorRole: return level_color(c.level());
    case UnreadRole: return static_cast<int>(c.unread());
    case LastTextRole: return c.has_last_message() ? p_->preview(c.last_message()) : QString();
    case LastSenderRole:  // a notice names who made the change itself
      return c.has_last_message() && c.last_message().has_sender() && !c.last_message().has_notice()
                 ? p_->name(c.last_message().sender().person())
                 : QString();
    case LastTimeRole: return c.has_last_message() ? p_->time(c.last_message().sent_at_ms()) : QString();
    case CanPostRole: return c.kind() != gchat::identity::v1::CHANNEL || c.can_post();
    case LeftRole: return c.left();
    case MembersRole: {
      QStringList names;
      for (const auto& m : c.members()) names << p_->name(m);
      return names.join(QStringLiteral(", "));
    }
    default: return {};
  }
}

QHash<int, QByteArray> ConversationModel::roleNames() const {
  return {{IdRole, "conversationId"}, {TitleRole, "title"},         {KindRole, "kind"},
          {LevelRole, "level"},       {LevelLabelRole, "levelLabel"}, {LevelColorRole, "levelColor"},
          {UnreadRole, "unread"},     {LastTextRole, "lastText"},   {LastSenderRole, "lastSender"},
          {LastTimeRole, "lastTime"}, {CanPostRole, "canPost"},     {LeftRole, "left"},
          {MembersRole, "members"}};
}

void ConversationModel::sort_by_recency() {
  std::stable_sort(rows_.begin(), rows_.end(), [](const api::Conversation& a, const api::Conversation& b) {
    return a.last_message().sent_at_ms() > b.last_message().sent_at_ms();
  });
}

void ConversationModel::reset(const api::Conversations& list) {
  beginResetModel();
  rows_.clear();
  for (const auto& c : list.conversations()) {
    if (!c.left()) rows_.push_back(c);
  }
  sort_by_recency();
  endResetModel();
  emit countChanged();
}

void ConversationModel::upsert(const api::Conversation& c) {
  beginResetModel();
  auto it = std::find_if(rows_.begin(), rows_.end(),
                         [&](const api::Conversation& r) { return r.conversation_id() == c.conversation_id(); });
  if (c.left()) {
    if (it != rows_.end()) rows_.erase(it);
  } else if (it != rows_.end()) {
    // Keep what the event may not carry (the last message and unread count we track here).
    const api::Message last = it->last_message();
    const auto unread = it->unread();
    *it = c;
    if (!it->has_last_message() && last.ByteSizeLong() > 0) *it->mutable_last_message() = last;
    it->set_unread(std::max(unread, c.unread()));
  } else {
    rows_.push_back(c);
  }
  sort_by_recency();
  endResetModel();
  emit countChanged();
}

void ConversationModel::on_message(const api::Message& m, bool read) {
  auto it = std::find_if(rows_.begin(), rows_.end(),
                         [&](const api::Conversation& r) { return r.conversation_id() == m.conversation_id(); });
  if (it == rows_.end()) return;
  beginResetModel();
  *it->mutable_last_message() = m;
  if (!read && !m.outgoing()) it->set_unread(it->unread() + 1);
  sort_by_recency();
  endResetModel();
  emit countChanged();
}

void ConversationModel::clear_unread(const QByteArray& id) {
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (bytes_of(rows_[i].conversation_id()) == id && rows_[i].unread() != 0) {
      rows_[i].set_unread(0);
      const auto idx = index(static_cast<int>(i));
      emit dataChanged(idx, idx, {UnreadRole});
      emit countChanged();
    }
  }
}

const api::Conversation* ConversationModel::find(const QByteArray& id) const {
  for (const auto& c : rows_) {
    if (bytes_of(c.conversation_id()) == id) return &c;
  }
  return nullptr;
}

void ConversationModel::refresh_texts() {
  if (!rows_.empty()) emit dataChanged(index(0), index(rowCount() - 1));
}

int ConversationModel::total_unread() const {
  int n = 0;
  for (const auto& c : rows_) n += static_cast<int>(c.unread());
  return n;
}

int ConversationModel::rowOf(const QString& id_hex) const {
  const std::string id = from_hex(id_hex);
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (rows_[i].conversation_id() == id) return static_cast<int>(i);
  }
  return -1;
}

QString ConversationModel::idAt(int row) const {
  return row >= 0 && row < rowCount() ? hex_of(rows_[static_cast<std::size_t>(row)].conversation_id()) : QString();
}

// ---------------------------------------------------------------------------------------------
int MessageModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int MessageModel::row_of(const std::string& message_id) const {
  for (std::size_t i = rows_.size(); i-- > 0;) {
    if (rows_[i].message_id() == message_id) return static_cast<int>(i);
  }
  return -1;
}

const api::Message* MessageModel::find(const QByteArray& message_id) const {
  const int r = row_of(string_of(message_id));
  return r < 0 ? nullptr : &rows_[static_cast<std::size_t>(r)];
}

QVariant MessageModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& m = rows_[static_cast<std::size_t>(index.row())];
  const auto& who = m.sender().person();
  switch (role) {
    case IdRole: return hex_of(m.message_id());
    case Qt::DisplayRole:
    case TextRole: return m.has_notice() ? p_->notice(m) : text_of(m.text());
    case SenderNameRole: return p_->name(who);
    case SenderAgencyRole: return p_->agency(who);
    case SenderLevelRole: return static_cast<int>(who.clearance());
    case SenderLevelLabelRole: return level_label(who.clearance());
    case SenderUserRole: return text_of(who.agency_id() + "/" + who.user_id());
    case DeviceNameRole: return text_of(m.sender().device_name());
    case DeviceFingerprintRole: return fingerprint(bytes_of(m.sender().device_key()));
    case TimeRole: return p_->time(m.sent_at_ms());
    case FullTimeRole: return p_->full_time(m.sent_at_ms());
    case StatusRole: return static_cast<int>(m.status());
    case OutgoingRole: return m.outgoing();
    case ReplyTextRole: {
      if (m.reply_to().empty()) return QString();
      const int r = row_of(m.reply_to());
      return r < 0 ? QStringLiteral("…") : p_->preview(rows_[static_cast<std::size_t>(r)]);
    }
    case ReplySenderRole: {
      const int r = m.reply_to().empty() ? -1 : row_of(m.reply_to());
      return r < 0 ? QString() : p_->name(rows_[static_cast<std::size_t>(r)].sender().person());
    }
    case ForwardedRole: return m.has_forwarded();
    case ForwardedFromRole: return m.has_forwarded() ? p_->name(m.forwarded().original_sender().person()) : QString();
    case ForwardedAgencyRole:
      return m.has_forwarded() ? p_->agency(m.forwarded().original_sender().person()) : QString();
    case ForwardedTimeRole: return m.has_forwarded() ? p_->full_time(m.forwarded().original_sent_at_ms()) : QString();
    case ForwardedLevelRole: return m.has_forwarded() ? level_label(m.forwarded().original_level()) : QString();
    case ConversationIdRole: return hex_of(m.conversation_id());
    case ConversationTitleRole: {
      const auto* c = conversations_ ? conversations_->find(bytes_of(m.conversation_id())) : nullptr;
      return c ? conversations_->title_of(*c) : QString();
    }
    case NoticeRole: return m.has_notice();
    case DeclassifiedRole: return m.notice().has_policy() && declassifies(m.notice().policy());
    case NoticeLevelRole: return static_cast<int>(m.notice().policy().new_level());
    default: return {};
  }
}

QHash<int, QByteArray> MessageModel::roleNames() const {
  return {{IdRole, "messageId"},
          {TextRole, "text"},
          {SenderNameRole, "senderName"},
          {SenderAgencyRole, "senderAgency"},
          {SenderLevelRole, "senderLevel"},
          {SenderLevelLabelRole, "senderLevelLabel"},
          {SenderUserRole, "senderUser"},
          {DeviceNameRole, "deviceName"},
          {DeviceFingerprintRole, "deviceFingerprint"},
          {TimeRole, "time"},
          {FullTimeRole, "fullTime"},
          {StatusRole, "status"},
          {OutgoingRole, "outgoing"},
          {ReplyTextRole, "replyText"},
          {ReplySenderRole, "replySender"},
          {ForwardedRole, "forwarded"},
          {ForwardedFromRole, "forwardedFrom"},
          {ForwardedAgencyRole, "forwardedAgency"},
          {ForwardedTimeRole, "forwardedTime"},
          {ForwardedLevelRole, "forwardedLevel"},
          {ConversationIdRole, "conversationId"},
          {ConversationTitleRole, "conversationTitle"},
          {NoticeRole, "notice"},
          {DeclassifiedRole, "declassified"},
          {NoticeLevelRole, "noticeLevel"}};
}

void MessageModel::reset(const QByteArray& conversation, const api::Messages& messages) {
  beginResetModel();
  conversation_ = conversation;
  rows_.assign(messages.messages().begin(), messages.messages().end());
  more_ = messages.more();
  endResetModel();
  emit countChanged();
}

void MessageModel::prepend(const api::Messages& older) {
  if (older.messages().empty()) {
    more_ = false;
    emit countChanged();
    return;
  }
  beginInsertRows({}, 0, older.messages_size() - 1);
  rows_.insert(rows_.begin(), older.messages().begin(), older.messages().end());
  more_ = older.more();
  endInsertRows();
  emit countChanged();
}

void MessageModel::add(const api::Message& m) {
  if (bytes_of(m.conversation_id()) != conversation_) return;
  if (const int r = row_of(m.message_id()); r >= 0) {
    rows_[static_cast<std::size_t>(r)] = m;
    emit dataChanged(index(r), index(r));
    return;
  }
  beginInsertRows({}, rowCount(), rowCount());
  rows_.push_back(m);
  endInsertRows();
  emit countChanged();
}

void MessageModel::set_status(const api::StatusChanged& s) {
  if (bytes_of(s.conversation_id()) != conversation_) return;
  const int r = row_of(s.message_id());
  if (r < 0) return;
  auto& m = rows_[static_cast<std::size_t>(r)];
  // Statuses only move forward (QUEUED < SENT < DELIVERED < READ).
  if (s.status() > m.status()) m.set_status(s.status());
  if (s.seq() != 0) m.set_seq(s.seq());
  emit dataChanged(index(r), index(r), {StatusRole});
}

void MessageModel::clear() {
  beginResetModel();
  conversation_.clear();
  rows_.clear();
  more_ = false;
  endResetModel();
  emit countChanged();
}

void MessageModel::refresh_texts() {
  if (!rows_.empty()) emit dataChanged(index(0), index(rowCount() - 1));
}

QString MessageModel::textOf(const QString& message_id_hex) const {
  const int r = row_of(from_hex(message_id_hex));
  return r < 0 ? QString() : p_->preview(rows_[static_cast<std::size_t>(r)]);
}

QString MessageModel::senderOf(const QString& message_id_hex) const {
  const int r = row_of(from_hex(message_id_hex));
  return r < 0 ? QString() : p_->name(rows_[static_cast<std::size_t>(r)].sender().person());
}

// ---------------------------------------------------------------------------------------------
int PeopleModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QString PeopleModel::key_of(const api::Person& p) { return text_of(p.agency_id() + "/" + p.user_id()); }

QVariant PeopleModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& e = rows_[static_cast<std::size_t>(index.row())];
  const auto& p = e.person();
  switch (role) {
    case KeyRole: return key_of(p);
    case Qt::DisplayRole:
    case NameRole: return p_->name(p);
    case UserIdRole: return text_of(p.user_id());
    case AgencyIdRole: return text_of(p.agency_id());
    case AgencyRole: return p_->agency(p);
    case ClearanceRole: return static_cast<int>(p.clearance());
    case ClearanceLabelRole: return level_label(p.clearance());
    case ClearedRole: return cleared(p);
    case SelectedRole:
      return std::any_of(selected_.begin(), selected_.end(), [&](const api::Person& s) { return key_of(s) == key_of(p); });
    case SelfRole: return p_->is_self(p);
    case DevicesRole: {
      QStringList names;
      for (const auto& d : e.devices()) names << text_of(d.device_name()) + QStringLiteral(" (") +
                                                   fingerprint(bytes_of(d.device_key())).left(9) + ')';
      return names;
    }
    case DeviceKeysRole: {
      QStringList keys;
      for (const auto& d : e.devices()) keys << hex_of(d.device_key());
      return keys;
    }
    default: return {};
  }
}

QHash<int, QByteArray> PeopleModel::roleNames() const {
  return {{KeyRole, "key"},           {NameRole, "name"},
          {UserIdRole, "userId"},     {AgencyIdRole, "agencyId"},
          {AgencyRole, "agency"},     {ClearanceRole, "clearance"},
          {ClearanceLabelRole, "clearanceLabel"}, {ClearedRole, "cleared"},
          {SelectedRole, "selected"}, {SelfRole, "self"},
          {DevicesRole, "devices"},   {DeviceKeysRole, "deviceKeys"}};
}

void PeopleModel::reset(const api::People& people) {
  beginResetModel();
  rows_.assign(people.people().begin(), people.people().end());
  endResetModel();
  emit countChanged();
}

void PeopleModel::refresh_texts() {
  if (!rows_.empty()) emit dataChanged(index(0), index(rowCount() - 1));
}

void PeopleModel::set_level(int level) {
  if (level == level_) return;
  level_ = level;
  // People picked before who are not cleared for the new level are unpicked, never kept silently.
  const auto before = selected_.size();
  std::erase_if(selected_, [&](const api::Person& p) { return !cleared(p); });
  if (!rows_.empty()) emit dataChanged(index(0), index(rowCount() - 1), {ClearedRole, SelectedRole});
  emit levelChanged();
  if (selected_.size() != before) emit selectionChanged();
}

int PeopleModel::selected_count() const { return static_cast<int>(selected_.size()); }
std::vector<api::Person> PeopleModel::selected_people() const { return selected_; }

bool PeopleModel::toggle(int row) {
  if (row < 0 || row >= rowCount()) return false;
  const auto& p = rows_[static_cast<std::size_t>(row)].person();
  auto it = std::find_if(selected_.begin(), selected_.end(), [&](const api::Person& s) { return key_of(s) == key_of(p); });
  if (it != selected_.end()) {
    selected_.erase(it);
  } else {
    if (!cleared(p) || p_->is_self(p)) return false;
    selected_.push_back(p);
  }
  emit dataChanged(index(row), index(row), {SelectedRole});
  emit selectionChanged();
  return true;
}

void PeopleModel::clearSelection() {
  selected_.clear();
  if (!rows_.empty()) emit dataChanged(index(0), index(rowCount() - 1), {SelectedRole});
  emit selectionChanged();
}

QString PeopleModel::selectedNames() const {
  QStringList names;
  for (const auto& p : selected_) names << p_->name(p);
  return names.join(QStringLiteral(", "));
}

QVariantMap PeopleModel::get(int row) const { return row_as_map(*this, row); }

// ---------------------------------------------------------------------------------------------
int ChannelModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

QVariant ChannelModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& c = rows_[static_cast<std::size_t>(index.row())];
  switch (role) {
    case IdRole: return hex_of(c.channel_id());
    case Qt::DisplayRole:
    case TitleRole: return text_of(c.title());
    case AgencyRole: return text_of(c.agency_id());
    case LevelRole: return static_cast<int>(c.level());
    case LevelLabelRole: return level_label(c.level());
    case LevelColorRole: return level_color(c.level());
    case SubscribedRole: return c.subscribed();
    case MaySubscribeRole: return c.may_subscribe();
    case PublisherRole: return c.publisher();
    case SubscribersRole: return static_cast<int>(c.subscribers());
    default: return {};
  }
}

QHash<int, QByteArray> ChannelModel::roleNames() const {
  return {{IdRole, "channelId"},         {TitleRole, "title"},           {AgencyRole, "agency"},
          {LevelRole, "level"},          {LevelLabelRole, "levelLabel"}, {LevelColorRole, "levelColor"},
          {SubscribedRole, "subscribed"}, {MaySubscribeRole, "maySubscribe"}, {PublisherRole, "publisher"},
          {SubscribersRole, "subscribers"}};
}

void ChannelModel::reset(const api::Channels& channels) {
  beginResetModel();
  rows_.assign(channels.channels().begin(), channels.channels().end());
  endResetModel();
  emit countChanged();
}

void ChannelModel::set_subscribed(const QByteArray& id, bool subscribed) {
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    if (bytes_of(rows_[i].channel_id()) == id) {
      rows_[i].set_subscribed(subscribed);
      emit dataChanged(index(static_cast<int>(i)), index(static_cast<int>(i)), {SubscribedRole});
    }
  }
}

}  // namespace gchat::desktop
