// SPDX-License-Identifier: Apache-2.0
#include "main_window.h"

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
    parser.process(app);

    podtap::gui::MainWindow window;
    window.show();
    return QApplication::exec();
}
