// SPDX-License-Identifier: Apache-2.0
// Inside an AppImage the console uses the agent it ships with, and never tries pkexec on it.
#include "tap/local_receiver.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;

namespace {

bool writeExecutable(const QString &path, const QByteArray &script)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return false;
    }
    file.write(script);
    file.close();
    return file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
}

} // namespace

/// @brief findAgentExecutable() and LocalReceiver::start() under the environment an AppImage's runtime sets.
class TestLocalReceiverAppImage final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_appDir; ///< stands for the mounted AppDir: AppRun, usr/bin/podtap-agent

    static void leaveAppImage()
    {
        qunsetenv("APPIMAGE");
        qunsetenv("APPDIR");
    }
    void enterAppImage()
    {
        qputenv("APPIMAGE", QFile::encodeName(m_appDir.filePath(QStringLiteral("podtap.AppImage"))));
        qputenv("APPDIR", QFile::encodeName(m_appDir.path()));
    }
    QString bundledAgent() const { return m_appDir.filePath(QStringLiteral("usr/bin/podtap-agent")); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_appDir.isValid());
        QVERIFY(QDir(m_appDir.path()).mkpath(QStringLiteral("usr/bin")));
        QVERIFY(writeExecutable(bundledAgent(), "#!/bin/sh\nexit 0\n"));
        qunsetenv("PODTAP_AGENT");
    }

    void cleanup() { leaveAppImage(); }

    void outsideAnAppImageTheBuildTreeAgentIsFound()
    {
        // The control: this test runs in the build tree, whose agent the lookup finds.
        leaveAppImage();
        const QString found = findAgentExecutable();
        QVERIFY2(found.endsWith(QStringLiteral("/netlink-agent/podtap-agent")), qPrintable(found));
    }

    void insideAnAppImageOnlyTheBundledAgentIsUsed()
    {
        enterAppImage();
        QCOMPARE(findAgentExecutable(), QFileInfo(bundledAgent()).canonicalFilePath());
    }

    void insideAnAppImageWithoutAnAgentNoneFromTheHostIsTaken()
    {
        // An AppDir without the agent: no other build or PATH entry of another version stands in.
        QTemporaryDir empty;
        QVERIFY(empty.isValid());
        qputenv("APPIMAGE", QFile::encodeName(empty.filePath(QStringLiteral("podtap.AppImage"))));
        qputenv("APPDIR", QFile::encodeName(empty.path()));
        QCOMPARE(findAgentExecutable(), QString());
    }

    void pkexecIsRunOutsideAnAppImage()
    {
        // The control for the next case: with the pkexec path chosen, the stand-in really runs.
        leaveAppImage();
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString marker = dir.filePath(QStringLiteral("pkexec-ran"));
        const QString standin = dir.filePath(QStringLiteral("pkexec"));
        QVERIFY(writeExecutable(standin, QByteArray("#!/bin/sh\ntouch ") + QFile::encodeName(marker) + "\nexit 126\n"));
        LocalReceiverOptions options;
        options.agentExecutable = bundledAgent();
        options.interfaceName = QStringLiteral("ptap77");
        options.vni = 77;
        options.forcePkexec = true; // what a console without CAP_NET_ADMIN does
        options.pkexecProgram = standin;
        LocalReceiver receiver(options);
        QSignalSpy finished(&receiver, &LocalReceiver::finished);
        receiver.start();
        QVERIFY(finished.wait(10000));
        QVERIFY(QFile::exists(marker));
    }

    void insideAnAppImageTheKernelReceiverFailsWithTheFixInsteadOfPkexec()
    {
        enterAppImage();
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString marker = dir.filePath(QStringLiteral("pkexec-ran"));
        const QString standin = dir.filePath(QStringLiteral("pkexec"));
        QVERIFY(writeExecutable(standin, QByteArray("#!/bin/sh\ntouch ") + QFile::encodeName(marker) + "\nexit 126\n"));
        LocalReceiverOptions options;
        options.interfaceName = QStringLiteral("ptap77");
        options.vni = 77;
        options.forcePkexec = true;
        options.pkexecProgram = standin;
        LocalReceiver receiver(options);
        QSignalSpy failed(&receiver, &LocalReceiver::failed);
        QSignalSpy finished(&receiver, &LocalReceiver::finished);
        receiver.start();
        QVERIFY(finished.count() == 1 || finished.wait(10000));
        QCOMPARE(failed.count(), 1);
        const QString message = failed.first().first().toString();
        // Names the object, the reason and the two ways out.
        QVERIFY2(message.contains(QStringLiteral("ptap77")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("AppImage")) && message.contains(QStringLiteral("pkexec")),
            qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("FUSE")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral("This machine")), qPrintable(message));
        QVERIFY2(message.contains(QStringLiteral(".deb")), qPrintable(message));
        QVERIFY2(!QFile::exists(marker), "pkexec was run from inside the AppImage");
    }
};

QTEST_GUILESS_MAIN(TestLocalReceiverAppImage)
#include "tst_local_receiver_appimage.moc"
