// SPDX-License-Identifier: Apache-2.0
#include "support/privileged.h"
#include "support/process.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap::test;

/// @brief The agent image is FROM scratch, small, and its binary runs from the unpacked rootfs.
class TestAgentImage final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void unpackedImageRunsTheAgent()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        for (const char *tool : {"buildah", "umoci", "tar"}) {
            if (QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty()) {
                QSKIP(qPrintable(
                    QStringLiteral("%1 is not installed (scripts/install-deps.sh test)").arg(QLatin1String(tool))));
            }
        }
        QTemporaryDir dir;
        const QString archive = dir.filePath(QStringLiteral("agent.tar"));
        const QString script =
            qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/netlink-agent/build-image.sh");
        const QStringList build = {script, builtExecutable(QStringLiteral("netlink-agent/podtap-agent")), archive};
        const ProcessResult built = run(build, 120000);
        QVERIFY2(built.ok(), qPrintable(built.describe(build)));
        const qint64 size = QFileInfo(archive).size();
        QVERIFY2(size > 0 && size < 1024 * 1024, qPrintable(QStringLiteral("image archive is %1 bytes").arg(size)));

        const QString layout = dir.filePath(QStringLiteral("layout"));
        QVERIFY(QDir().mkpath(layout));
        mustRun({QStringLiteral("tar"), QStringLiteral("-xf"), archive, QStringLiteral("-C"), layout});
        const QString bundle = dir.filePath(QStringLiteral("bundle"));
        mustRun({QStringLiteral("umoci"), QStringLiteral("unpack"), QStringLiteral("--image"),
            layout + QStringLiteral(":latest"), bundle});
        const QDir rootfs(bundle + QStringLiteral("/rootfs"));
        QCOMPARE(
            rootfs.entryList(QDir::AllEntries | QDir::NoDotAndDotDot), QStringList {QStringLiteral("podtap-agent")});
        const QString agent = rootfs.filePath(QStringLiteral("podtap-agent"));
        const ProcessResult version = run({agent, QStringLiteral("--version")});
        QVERIFY2(version.ok() && version.out.startsWith("podtap-agent "), qPrintable(version.describe({agent})));
        const ProcessResult help = run({agent, QStringLiteral("--help")});
        QVERIFY2(help.ok() && help.out.contains("mirror"), qPrintable(help.describe({agent})));
        // The entrypoint is the agent itself.
        const QByteArray config = mustRun({QStringLiteral("cat"), bundle + QStringLiteral("/config.json")});
        QVERIFY2(config.contains("\"/podtap-agent\""), config.left(2000).constData());
    }
};

QTEST_GUILESS_MAIN(TestAgentImage)
#include "tst_agent_image.moc"
