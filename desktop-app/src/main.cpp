// gchat-desktop: the G-Chat desktop app. Without options it starts from its saved settings (or the
// setup screen); the options fill in the relay, its CA and the root key, as in the README's demo.
#include <QCommandLineParser>
#include <QGuiApplication>

#include "gchat/desktop/app.hpp"

int main(int argc, char** argv) {
  gchat::desktop::set_application_identity();
  QGuiApplication application(argc, argv);
  gchat::desktop::set_application_look();

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("G-Chat: end-to-end encrypted government chat"));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption relay({"r", "relay"}, "Relay endpoint(s), host:port[,host:port].", "endpoints");
  const QCommandLineOption ca("ca", "PEM file of the CA that signs the relay's certificate.", "file");
  const QCommandLineOption root("root-key", "The government root key (64 hex digits).", "hex");
  const QCommandLineOption data("data", "Folder of this device's encrypted store.", "folder");
  const QCommandLineOption device("device-name", "This device's name, shown to others.", "name");
  const QCommandLineOption kdf("kdf", "Passphrase stretching: sensitive (default), moderate; interactive for tests.",
                               "strength");
  parser.addOptions({relay, ca, root, data, device, kdf});
  parser.process(application);

  gchat::desktop::StartOptions options{parser.value(relay), parser.value(ca), parser.value(root),
                                       parser.value(data),  parser.value(device), parser.value(kdf)};
  gchat::desktop::App app(std::move(options));
  if (!app.start()) return 1;
  return application.exec();
}
