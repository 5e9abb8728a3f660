// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap::test;

namespace {

struct Output
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Output runIn(const QString &dir, const QString &home, const QString &kubeconfigEnv, const QStringList &command)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), home);
    env.remove(QStringLiteral("KUBECONFIG"));
    if (!kubeconfigEnv.isEmpty()) {
        env.insert(QStringLiteral("KUBECONFIG"), kubeconfigEnv);
    }
    process.setProcessEnvironment(env);
    process.setWorkingDirectory(dir);
    process.start(command.first(), command.mid(1));
    Output result;
    if (!process.waitForFinished(30000)) {
        process.kill();
        process.waitForFinished(5000);
        result.err = "timed out";
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

} // namespace

/// @brief `podtapctl config view` prints what the real `kubectl config view` prints, on a corpus
/// of kubeconfigs covering merges, relative paths, *-data, exec, proxies, tokens and odd strings.
class TestConfigViewKubectl final : public QObject
{
    Q_OBJECT

private:
    QString m_kubectl;
    QString m_corpus;
    QTemporaryDir m_home;

private Q_SLOTS:
    void initTestCase()
    {
        m_kubectl = QStandardPaths::findExecutable(QStringLiteral("kubectl"));
        if (m_kubectl.isEmpty()) {
            QSKIP("kubectl is not installed; it is the reference this test compares with");
        }
        m_corpus = QDir(qEnvironmentVariable("PODTAP_SOURCE_DIR")).filePath(QStringLiteral("tests/kubeconfig/corpus"));
        QVERIFY2(QFileInfo::exists(m_corpus + QStringLiteral("/base.yaml")), qPrintable(m_corpus));
        QVERIFY(m_home.isValid());
    }

    void sameAsKubectl_data()
    {
        QTest::addColumn<QString>("kubeconfigEnv");
        QTest::addColumn<QStringList>("flags");

        const QList<QPair<const char *, QString>> sources {
            {"base", QStringLiteral("base.yaml")},
            {"merged", QStringLiteral("base.yaml:overlay/override.yaml")},
            {"merged-reversed", QStringLiteral("overlay/override.yaml:base.yaml")},
            {"duplicates-and-missing", QStringLiteral("base.yaml:missing.yaml:base.yaml:overlay/override.yaml")},
            {"quoting", QStringLiteral("quoting.yaml")},
            {"extensions", QStringLiteral("extensions.yaml:base.yaml")},
            {"empty-and-lonely", QStringLiteral("empty.yaml:lonely.yaml")},
            {"nothing", QStringLiteral("missing.yaml")},
        };
        const QList<QPair<const char *, QStringList>> flagSets {
            {"yaml", {}},
            {"json", {QStringLiteral("-o"), QStringLiteral("json")}},
            {"raw", {QStringLiteral("--raw")}},
            {"raw-json", {QStringLiteral("--raw"), QStringLiteral("-o"), QStringLiteral("json")}},
            {"flatten", {QStringLiteral("--flatten")}},
            {"flatten-json", {QStringLiteral("--flatten"), QStringLiteral("-o=json")}},
            {"minify", {QStringLiteral("--minify")}},
            {"minify-json", {QStringLiteral("--minify"), QStringLiteral("--output"), QStringLiteral("json")}},
            {"minify-exec",
                {QStringLiteral("--minify"), QStringLiteral("--context"), QStringLiteral("exec"), QStringLiteral("-o"),
                    QStringLiteral("json")}},
            {"minify-flatten-overlay",
                {QStringLiteral("--minify"), QStringLiteral("--flatten"), QStringLiteral("--context=overlay")}},
            {"minify-raw-beta",
                {QStringLiteral("--minify"), QStringLiteral("--raw"), QStringLiteral("--context"),
                    QStringLiteral("beta"), QStringLiteral("-o"), QStringLiteral("json")}},
            {"context-without-minify", {QStringLiteral("--context"), QStringLiteral("prod")}},
        };
        for (const auto &[sourceName, env] : sources) {
            for (const auto &[flagName, flags] : flagSets) {
                QTest::addRow("%s/%s", sourceName, flagName) << env << flags;
            }
        }
        // --kubeconfig alone, relative to the working directory, beats KUBECONFIG.
        QTest::addRow("explicit/flatten-json")
            << QStringLiteral("quoting.yaml")
            << QStringList {QStringLiteral("--kubeconfig"), QStringLiteral("overlay/override.yaml"),
                   QStringLiteral("--flatten"), QStringLiteral("-o"), QStringLiteral("json")};
        QTest::addRow("explicit-missing/json")
            << QStringLiteral("base.yaml")
            << QStringList {QStringLiteral("--kubeconfig=missing.yaml"), QStringLiteral("-o"), QStringLiteral("json")};
    }

    void sameAsKubectl()
    {
        QFETCH(QString, kubeconfigEnv);
        QFETCH(QStringList, flags);
        const QStringList tail = QStringList {QStringLiteral("config"), QStringLiteral("view")} + flags;
        const Output expected = runIn(m_corpus, m_home.path(), kubeconfigEnv, QStringList {m_kubectl} + tail);
        const Output actual = runIn(m_corpus, m_home.path(), kubeconfigEnv,
            QStringList {builtExecutable(QStringLiteral("app/cli/podtapctl"))} + tail);
        QVERIFY2(expected.exitCode == actual.exitCode,
            qPrintable(QStringLiteral("kubectl exit %1 (%2), podtapctl exit %3 (%4)")
                           .arg(expected.exitCode)
                           .arg(QString::fromUtf8(expected.err))
                           .arg(actual.exitCode)
                           .arg(QString::fromUtf8(actual.err))));
        if (expected.exitCode != 0) {
            QVERIFY2(actual.err.startsWith("error: "), actual.err.constData());
            return;
        }
        if (flags.join(u' ').contains(QLatin1String("json"))) {
            QJsonParseError error;
            const QJsonDocument want = QJsonDocument::fromJson(expected.out, &error);
            QVERIFY2(!want.isNull(), qPrintable(error.errorString()));
            const QJsonDocument got = QJsonDocument::fromJson(actual.out, &error);
            QVERIFY2(!got.isNull(), qPrintable(error.errorString() + u'\n' + QString::fromUtf8(actual.out)));
            QVERIFY2(want == got,
                qPrintable(QStringLiteral("kubectl:\n%1\npodtapctl:\n%2")
                               .arg(QString::fromUtf8(expected.out), QString::fromUtf8(actual.out))));
        }
        // Beyond equal JSON, the bytes match too: key order, quoting and folding of YAML scalars.
        QCOMPARE(QString::fromUtf8(actual.out), QString::fromUtf8(expected.out));
    }
};

QTEST_GUILESS_MAIN(TestConfigViewKubectl)
#include "tst_config_view_kubectl.moc"
