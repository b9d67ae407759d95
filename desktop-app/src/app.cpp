#include "gchat/desktop/app.hpp"

#include <QFont>
#include <QGuiApplication>
#include <QQmlContext>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QtQml>

namespace gchat::desktop {

void set_application_identity() {
  QCoreApplication::setOrganizationName(QStringLiteral("G-Chat"));
  QCoreApplication::setApplicationName(QStringLiteral("gchat-desktop"));
  QCoreApplication::setApplicationVersion(QStringLiteral(GCHAT_VERSION));
}

void set_application_look() {
  QQuickStyle::setStyle(QStringLiteral("Basic"));
  // Noto Sans Thai (fonts-noto-core) for Thai, with the Thai fonts of TLWG (fonts-thai-tlwg-otf)
  // behind it; the setup script installs both. Thai needs the extra line height of these fonts for
  // its stacked vowels and tone marks.
  QFont font(QStringList{QStringLiteral("Noto Sans"), QStringLiteral("Noto Sans Thai"), QStringLiteral("Loma")});
  font.setPointSizeF(10.5);
  QGuiApplication::setFont(font);
}

App::App(StartOptions options, QObject* parent)
    : QObject(parent), backend_(std::make_unique<Backend>(std::move(options))) {
  connect(backend_.get(), &Backend::languageChanged, this, [this] {
    load_translation();
    engine_.retranslate();
  });
}

void App::load_translation() {
  QCoreApplication::removeTranslator(&translator_);
  const QString file = backend_->language() == "en" ? QStringLiteral(":/i18n/gchat_en.qm")
                                                    : QStringLiteral(":/i18n/gchat_th.qm");
  if (translator_.load(file)) QCoreApplication::installTranslator(&translator_);
}

bool App::start() {
  load_translation();
  qmlRegisterSingletonInstance("GChat", 1, 0, "Backend", backend_.get());
  qmlRegisterUncreatableType<ConversationModel>("GChat", 1, 0, "ConversationModel", "from Backend");
  qmlRegisterUncreatableType<MessageModel>("GChat", 1, 0, "MessageModel", "from Backend");
  qmlRegisterUncreatableType<PeopleModel>("GChat", 1, 0, "PeopleModel", "from Backend");
  qmlRegisterUncreatableType<ChannelModel>("GChat", 1, 0, "ChannelModel", "from Backend");
  qmlRegisterUncreatableType<DeviceModel>("GChat", 1, 0, "DeviceModel", "from Backend");
  engine_.load(QUrl(QStringLiteral("qrc:/gchat/qml/Main.qml")));
  auto* w = window();
  if (!w) return false;
  connect(w, &QWindow::activeChanged, this, [this, w] { backend_->set_window_active(w->isActive()); });
  return true;
}

QQuickWindow* App::window() const {
  const auto roots = engine_.rootObjects();
  return roots.isEmpty() ? nullptr : qobject_cast<QQuickWindow*>(roots.first());
}

}  // namespace gchat::desktop
