// SPDX-License-Identifier: Apache-2.0
// "Open in Wireshark" in the Sessions panel starts Wireshark the way the session's own launch does:
// with the podtap profile whose hosts file names the tap's pods. A stand-in `wireshark` on PATH
// records the command line it was started with and the profile it would read.
#include "capture/pod_hosts_file.h"
#include "session_handle.h"
#include "sessions_panel.h"

#include <QDir>
#include <QFile>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using podtap::gui::SessionHandle;
using podtap::gui::SessionsPanel;

/// @brief The panel's Wireshark launch carries the pod names, as the session's own launch does.
class TestSessionsPanelWireshark final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void openInWiresharkUsesThePodNameProfile()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString bin = dir.filePath(QStringLiteral("bin"));
        const QString config = dir.filePath(QStringLiteral("wireshark-config"));
        const QString argvFile = dir.filePath(QStringLiteral("argv"));
        const QString seenHosts = dir.filePath(QStringLiteral("profile-hosts"));
        QVERIFY(QDir().mkpath(bin));
        // Records its arguments one per line, then the hosts file of the profile named by -C.
        QFile script(QDir(bin).filePath(QStringLiteral("wireshark")));
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write(
            QStringLiteral("#!/bin/sh\n"
                           "profile=\n"
                           "prev=\n"
                           "for a in \"$@\"; do [ \"$prev\" = -C ] && profile=$a; prev=$a; done\n"
                           "if [ -n \"$profile\" ] && [ -f \"$WIRESHARK_CONFIG_DIR/profiles/$profile/hosts\" ]; "
                           "then cp \"$WIRESHARK_CONFIG_DIR/profiles/$profile/hosts\" '%1'; fi\n"
                           "printf '%s\\n' \"$@\" > '%2.tmp' && mv '%2.tmp' '%2'\n")
                .arg(seenHosts, argvFile)
                .toUtf8());
        script.close();
        QVERIFY(script.setPermissions(script.permissions() | QFileDevice::ExeOwner));
        const QByteArray oldPath = qgetenv("PATH");
        const QByteArray oldConfig = qgetenv("WIRESHARK_CONFIG_DIR");
        qputenv("PATH", QFile::encodeName(bin) + ':' + oldPath);
        qputenv("WIRESHARK_CONFIG_DIR", QFile::encodeName(config));
        const auto restore = qScopeGuard([&] {
            qputenv("PATH", oldPath);
            if (oldConfig.isNull())
                qunsetenv("WIRESHARK_CONFIG_DIR");
            else
                qputenv("WIRESHARK_CONFIG_DIR", oldConfig);
        });

        // The session wrote its hosts file when the mirror came up (as TapSession does).
        const QString hostsFile = dir.filePath(QStringLiteral("hosts-session"));
        QString error;
        QVERIFY2(podtap::writePodHostsFile(hostsFile,
                     {{QStringLiteral("192.0.2.10"), QStringLiteral("shop"), QStringLiteral("web-0")},
                         {QStringLiteral("192.0.2.11"), QStringLiteral("shop"), QStringLiteral("db-0")}},
                     &error),
            qPrintable(error));

        SessionsPanel panel;
        auto *session = new SessionHandle(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        panel.addSession(session);
        session->reportState(SessionHandle::State::Running);
        session->setCaptureInterface(QStringLiteral("ptap4242"), hostsFile);
        auto *view = panel.view();
        QVERIFY(view);
        view->selectRow(0);
        auto *open = panel.findChild<QPushButton *>(QStringLiteral("openWireshark"));
        QVERIFY(open);
        QVERIFY(open->isEnabled());
        open->click();

        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(argvFile), 10000);
        QFile argv(argvFile);
        QVERIFY(argv.open(QIODevice::ReadOnly));
        const QStringList args = QString::fromUtf8(argv.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(
            args.mid(0, 3), (QStringList {QStringLiteral("-k"), QStringLiteral("-i"), QStringLiteral("ptap4242")}));
        const qsizetype profileAt = args.indexOf(QStringLiteral("-C"));
        QVERIFY2(profileAt >= 0 && profileAt + 1 < args.size(), qPrintable(args.join(QLatin1Char(' '))));
        QCOMPARE(args.at(profileAt + 1), QLatin1String(podtap::kWiresharkProfileName));
        const qsizetype resolveAt = args.indexOf(QStringLiteral("-N"));
        QVERIFY(resolveAt >= 0 && resolveAt + 1 < args.size());
        QVERIFY(args.at(resolveAt + 1).contains(QLatin1Char('n')));

        QFile profileHosts(seenHosts);
        QVERIFY2(profileHosts.open(QIODevice::ReadOnly), "Wireshark found no hosts file in the profile it was given");
        const QByteArray hosts = profileHosts.readAll();
        QVERIFY2(hosts.contains("192.0.2.10\tshop/web-0"), hosts.constData());
        QVERIFY2(hosts.contains("192.0.2.11\tshop/db-0"), hosts.constData());
    }
};

QTEST_MAIN(TestSessionsPanelWireshark)
#include "tst_sessions_panel_wireshark.moc"
