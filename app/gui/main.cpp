// SPDX-License-Identifier: Apache-2.0
#include "main_window.h"
#include "tap_session_handle.h"

#include "podtap/version.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("podtap"));
    QApplication::setOrganizationName(QStringLiteral("podtap"));
    QApplication::setApplicationVersion(QLatin1String(podtap::kVersion));
    QApplication::setDesktopFileName(QStringLiteral("io.podtap.Podtap"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Capture a Kubernetes pod's traffic into Wireshark"));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption kubeconfig(QStringLiteral("kubeconfig"),
        QStringLiteral("Use this kubeconfig file instead of KUBECONFIG or ~/.kube/config."), QStringLiteral("FILE"));
    const QCommandLineOption context(
        QStringLiteral("context"), QStringLiteral("Start with this kubeconfig context."), QStringLiteral("NAME"));
    parser.addOption(kubeconfig);
    parser.addOption(context);
    parser.process(app);

    podtap::gui::MainWindowOptions options;
    options.kubeconfig.explicitPath = parser.value(kubeconfig);
    options.context = parser.value(context);
    podtap::gui::MainWindow window(options);
    window.setSessionFactory(&podtap::gui::createTapSession);
    window.show();
    return QApplication::exec();
}
