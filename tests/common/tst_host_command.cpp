// SPDX-License-Identifier: Apache-2.0
#include "common/host_command.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;

/// @brief hostCommand leaves a command alone outside a sandbox and wraps it in `flatpak-spawn --host` inside
/// one, passing only the given environment; findOnHost finds programs on PATH and in extra directories.
/// (The Flatpak side runs for real in tests/packaging/flatpak_test.sh.)
class TestHostCommand final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void passesThroughOutsideASandbox()
    {
        const QStringList args {QStringLiteral("-i"), QStringLiteral("-"), QStringLiteral("a b")};
        const HostCommand command = hostCommand(QStringLiteral("/usr/bin/tshark"), args,
            {{QStringLiteral("KUBERNETES_EXEC_INFO"), QStringLiteral("{}")}}, HostSandbox::None);
        QCOMPARE(command.program, QStringLiteral("/usr/bin/tshark"));
        QCOMPARE(command.arguments, args);
    }

    void wrapsInsideAFlatpak()
    {
        const HostCommand command = hostCommand(QStringLiteral("aws"),
            {QStringLiteral("eks"), QStringLiteral("get-token"), QStringLiteral("--cluster-name"),
                QStringLiteral("my cluster")},
            {{QStringLiteral("AWS_PROFILE"), QStringLiteral("prod")},
                {QStringLiteral("KUBERNETES_EXEC_INFO"), QStringLiteral("{\"kind\":\"ExecCredential\"}")}},
            HostSandbox::Flatpak);
        QCOMPARE(command.program, QStringLiteral("flatpak-spawn"));
        const QStringList expected {QStringLiteral("--host"), QStringLiteral("--watch-bus"),
            QStringLiteral("--env=AWS_PROFILE=prod"),
            QStringLiteral("--env=KUBERNETES_EXEC_INFO={\"kind\":\"ExecCredential\"}"), QStringLiteral("--"),
            QStringLiteral("aws"), QStringLiteral("eks"), QStringLiteral("get-token"), QStringLiteral("--cluster-name"),
            QStringLiteral("my cluster")};
        QCOMPARE(command.arguments, expected);
    }

    void aProgramLikeAnOptionStaysTheProgram()
    {
        // Without "--" flatpak-spawn would read "--help" as its own option and never start the program.
        const HostCommand command = hostCommand(QStringLiteral("--help"), {}, {}, HostSandbox::Flatpak);
        QCOMPARE(command.arguments,
            (QStringList {QStringLiteral("--host"), QStringLiteral("--watch-bus"), QStringLiteral("--"),
                QStringLiteral("--help")}));
    }

    void hintOnlyInsideASandbox()
    {
        QVERIFY(hostCommandHint(HostSandbox::None).isEmpty());
        const QString hint = hostCommandHint(HostSandbox::Flatpak);
        QVERIFY(hint.contains(QLatin1String("flatpak-spawn --host")));
        QVERIFY(hint.contains(QLatin1String("--talk-name=org.freedesktop.Flatpak")));
    }

    void thisTestRunsOutsideASandbox()
    {
        QCOMPARE(currentSandbox(),
            QFileInfo::exists(QStringLiteral("/.flatpak-info")) ? HostSandbox::Flatpak : HostSandbox::None);
    }

    void findsOnPathThenInExtraDirectories()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString tool = dir.filePath(QStringLiteral("podtap-test-tool"));
        QFile file(tool);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("#!/bin/sh\n");
        file.close();
        QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));

        QVERIFY(findOnHost({QStringLiteral("podtap-test-tool")}, {}, 1000, HostSandbox::None).isEmpty());
        QCOMPARE(findOnHost({QStringLiteral("podtap-no-such-tool"), QStringLiteral("podtap-test-tool")}, {dir.path()},
                     1000, HostSandbox::None),
            tool);
        QCOMPARE(findOnHost({QStringLiteral("sh")}, {dir.path()}, 1000, HostSandbox::None),
            QFileInfo(QStringLiteral("/bin/sh")).exists() ? QStandardPaths::findExecutable(QStringLiteral("sh"))
                                                          : QString());
    }
};

QTEST_GUILESS_MAIN(TestHostCommand)
#include "tst_host_command.moc"
