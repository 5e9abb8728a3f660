// SPDX-License-Identifier: Apache-2.0
// A console without privileges stops the root receiver pkexec started for it, through its stdin.
#include "support/privileged.h"
#include "support/process.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace podtap::test;

namespace {

const QString kNetns = QStringLiteral("podtap-rx-unpriv");
const QString kDevice = QStringLiteral("ptaprx4242");

} // namespace

/// @brief LocalReceiver::stop() reaches a receiver running as root from a console that cannot signal it.
class TestLocalReceiverUnprivileged final : public QObject
{
    Q_OBJECT

    static void ip(const QStringList &args) { mustRun(QStringList {QStringLiteral("ip")} + args); }

private Q_SLOTS:
    void init()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), kNetns});
        ip({QStringLiteral("netns"), QStringLiteral("add"), kNetns});
        ip({QStringLiteral("-n"), kNetns, QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("lo"),
            QStringLiteral("up")});
        ip({QStringLiteral("-n"), kNetns, QStringLiteral("link"), QStringLiteral("add"), QStringLiteral("under0"),
            QStringLiteral("type"), QStringLiteral("veth"), QStringLiteral("peer"), QStringLiteral("name"),
            QStringLiteral("under1")});
        ip({QStringLiteral("-n"), kNetns, QStringLiteral("addr"), QStringLiteral("add"), QStringLiteral("192.0.2.1/24"),
            QStringLiteral("dev"), QStringLiteral("under0")});
        ip({QStringLiteral("-n"), kNetns, QStringLiteral("link"), QStringLiteral("set"), QStringLiteral("under0"),
            QStringLiteral("up")});
    }

    void cleanup() { run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), kNetns}); }

    void stopsTheRootReceiverThroughItsStdin()
    {
        // pkexec is setuid root; so is its stand-in here, copied where the unprivileged user can run it.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(QFile::setPermissions(dir.path(),
            QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadOther | QFile::ExeOther |
                QFile::ReadGroup | QFile::ExeGroup));
        const QString standin = dir.filePath(QStringLiteral("pkexec-standin"));
        const QString console = dir.filePath(QStringLiteral("receiver-console"));
        QVERIFY(QFile::copy(builtExecutable(QStringLiteral("tests/tap/pkexec-standin")), standin));
        QVERIFY(QFile::copy(builtExecutable(QStringLiteral("tests/tap/receiver-console")), console));
        QCOMPARE(::chmod(qPrintable(standin), 04755), 0);
        QCOMPARE(::chmod(qPrintable(console), 0755), 0);
        // PODTAP_AGENT: another agent build to check against (as LocalReceiver itself honours it).
        const QString agent =
            qEnvironmentVariable("PODTAP_AGENT", builtExecutable(QStringLiteral("netlink-agent/podtap-agent")));
        QVERIFY2(QFile::exists(agent), qPrintable(agent));

        // The console side as nobody, in the test's own network namespace.
        const ProcessResult result =
            run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"), kNetns,
                    QStringLiteral("setpriv"), QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"),
                    QStringLiteral("--clear-groups"), console, agent, standin, QStringLiteral("4242"), kDevice,
                    QStringLiteral("192.0.2.2"), QStringLiteral("192.0.2.1")},
                60000);
        const QString what = result.describe({QStringLiteral("receiver-console as nobody")}) +
            QStringLiteral("\nstdout: ") + QString::fromUtf8(result.out);
        QVERIFY2(result.out.contains("ready\n"), qPrintable(what));
        // Only the stdin path can reach a root process from nobody: SIGTERM and SIGKILL are refused.
        QVERIFY2(result.out.contains("finished\n") && !result.out.contains("timeout"), qPrintable(what));
        QVERIFY2(result.ok(), qPrintable(what));
        // And the receiver removed what it created.
        const ProcessResult link = run({QStringLiteral("ip"), QStringLiteral("-n"), kNetns, QStringLiteral("link"),
            QStringLiteral("show"), kDevice});
        QVERIFY2(!link.ok(), link.out.constData());
    }
};

QTEST_GUILESS_MAIN(TestLocalReceiverUnprivileged)
#include "tst_local_receiver_unprivileged.moc"
