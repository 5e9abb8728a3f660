// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"

#include "podtap/version.h"
#include "tap/agent_event.h"

#include <QTest>

using namespace podtap::test;

/// @brief The shipped executables answer --help and --version, and refuse what they do not know.
class TestPodtapctlCli final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void helpListsUsageAndExitsZero()
    {
        const QStringList command {builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("--help")};
        const ProcessResult result = run(command);
        QVERIFY2(result.ok(), qPrintable(result.describe(command)));
        QVERIFY2(result.out.contains("Usage: podtapctl"), result.out.constData());
    }

    void commandHelpNamesTheCommandNotTheBinaryPath()
    {
        for (const QString &subcommand : {QStringLiteral("tap"), QStringLiteral("sweep"), QStringLiteral("manifest")}) {
            const QStringList command {
                builtExecutable(QStringLiteral("app/cli/podtapctl")), subcommand, QStringLiteral("--help")};
            const ProcessResult result = run(command);
            QVERIFY2(result.ok(), qPrintable(result.describe(command)));
            const QByteArray firstLine = result.out.left(result.out.indexOf('\n'));
            QVERIFY2(
                firstLine.startsWith("Usage: podtapctl " + subcommand.toUtf8() + " [options]"), firstLine.constData());
        }
    }

    // --to local is the userspace receiver; the kernel interface is its own spelling, and says it needs root.
    void tapHelpNamesBothLocalReceivers()
    {
        const QStringList command {
            builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("tap"), QStringLiteral("--help")};
        const ProcessResult result = run(command);
        QVERIFY2(result.ok(), qPrintable(result.describe(command)));
        const QString help = QString::fromUtf8(result.out).simplified();
        QVERIFY2(help.contains(QStringLiteral("needs no root")), qPrintable(help));
        QVERIFY2(help.contains(QStringLiteral("local-interface: a kernel VXLAN interface")), qPrintable(help));
    }

    void versionPrintsProjectVersion()
    {
        const QStringList command {builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("--version")};
        const ProcessResult result = run(command);
        QVERIFY2(result.ok(), qPrintable(result.describe(command)));
        QCOMPARE(result.out.trimmed(), QByteArray("podtapctl ") + podtap::kVersion);
    }

    void unknownCommandIsAUsageError()
    {
        const QStringList command {builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("frobnicate")};
        const ProcessResult result = run(command);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("unknown command 'frobnicate'"), result.err.constData());
        QVERIFY(result.out.isEmpty());
    }

    void noArgumentsIsAUsageError()
    {
        const QStringList command {builtExecutable(QStringLiteral("app/cli/podtapctl"))};
        const ProcessResult result = run(command);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("Usage: podtapctl"), result.err.constData());
    }

    void agentIsStaticAndReportsItsVersion()
    {
        const QString agent = builtExecutable(QStringLiteral("netlink-agent/podtap-agent"));
        const QStringList command {agent, QStringLiteral("--version")};
        const ProcessResult result = run(command);
        QVERIFY2(result.ok(), qPrintable(result.describe(command)));
        // The console refuses an agent of another contract level, so the agent names both.
        QCOMPARE(result.out.trimmed(),
            QByteArray("podtap-agent ") + podtap::kVersion + " (contract " +
                QByteArray::number(podtap::kAgentContract) + ")");
        // A static ELF has no program interpreter: `file`-free check on the PT_INTERP string.
        QFile binary(agent);
        QVERIFY(binary.open(QIODevice::ReadOnly));
        QVERIFY2(!binary.readAll().contains("/lib64/ld-linux"), "podtap-agent must be statically linked");
    }
};

QTEST_GUILESS_MAIN(TestPodtapctlCli)
#include "tst_podtapctl_cli.moc"
