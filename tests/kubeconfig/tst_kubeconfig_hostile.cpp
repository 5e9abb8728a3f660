// SPDX-License-Identifier: Apache-2.0
#include "kube/kubeconfig.h"
#include "kube/kubeconfig_printer.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap::kube;

namespace {

QByteArray junk(quint32 seed, int size, bool allowNul)
{
    QRandomGenerator random(seed);
    QByteArray out(size, '\0');
    for (char &c : out) {
        c = static_cast<char>(allowNul ? random.bounded(256) : 1 + random.bounded(255));
    }
    return out;
}

/// Nine levels of ten aliases each: 10^9 leaves when expanded naively.
QByteArray billionLaughs(const QByteArray &useAt)
{
    QByteArray yaml = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    for (int level = 1; level <= 9; ++level) {
        const QByteArray prev = "*a" + QByteArray::number(level - 1);
        yaml += "a" + QByteArray::number(level) + ": &a" + QByteArray::number(level) + " [" +
            QByteArrayList(10, prev).join(", ") + "]\n";
    }
    return yaml + useAt;
}

/// Every error the document carries, file-level or per entry.
QStringList documentErrors(const KubeconfigDocument &doc)
{
    QStringList errors;
    if (!doc.fileError.isEmpty()) {
        errors << doc.fileError;
    }
    for (const auto &e : doc.clusters) {
        if (!e.error.isEmpty()) {
            errors << e.error;
        }
    }
    for (const auto &e : doc.users) {
        if (!e.error.isEmpty()) {
            errors << e.error;
        }
    }
    for (const auto &e : doc.contexts) {
        if (!e.error.isEmpty()) {
            errors << e.error;
        }
    }
    return errors;
}

} // namespace

/// @brief Hostile kubeconfigs end in an error that names the file, never in a crash, a hang or
/// memory exhaustion.
class TestKubeconfigHostile final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void hostileInputYieldsErrors_data()
    {
        QTest::addColumn<QByteArray>("yaml");

        QTest::newRow("binary junk with NULs") << junk(1, 4096, true);
        QTest::newRow("binary junk without NULs") << QByteArray("clusters: [\n" + junk(2, 4096, false));
        QTest::newRow("invalid UTF-8 key") << QByteArray("clusters:\n- name: \xff\xfe\n  cluster: {server: [}\n");
        QTest::newRow("deep flow nesting") << QByteArray(QByteArray(100000, '[') + QByteArray(100000, ']'));
        QTest::newRow("deep block nesting") << [] {
            QByteArray y;
            for (int i = 0; i < 5000; ++i) {
                y += QByteArray(i * 2, ' ') + "a:\n";
            }
            return y;
        }();
        QTest::newRow("deep nesting in an extension") << QByteArray(
            "clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.1\n    extensions:\n    - name: e\n"
            "      extension: " +
            QByteArray(1500, '[') + QByteArray(1500, ']') + "\n");
        QTest::newRow("huge scalar of the wrong type") << QByteArray(
            "clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.1\n    insecure-skip-tls-verify: " +
            QByteArray(4 * 1024 * 1024, 'x') + "\n");
        QTest::newRow("top level is a list") << QByteArray("- a\n- b\n");
        QTest::newRow("top level is a scalar") << QByteArray("just a string\n");
        QTest::newRow("clusters is a string") << QByteArray("clusters: nope\n");
        QTest::newRow("clusters of numbers") << QByteArray("clusters: [1, 2, 3]\n");
        QTest::newRow("users is a map") << QByteArray("users: {a: b}\n");
        QTest::newRow("context name is a list") << QByteArray("contexts:\n- name: [x]\n  context: {}\n");
        QTest::newRow("current-context is a map") << QByteArray("current-context: {a: 1}\n");
        QTest::newRow("server is a map") << QByteArray("clusters:\n- name: c\n  cluster:\n    server: {a: 1}\n");
        QTest::newRow("exec env is a string")
            << QByteArray("users:\n- name: u\n  user:\n    exec:\n      command: x\n      env: FOO=bar\n");
        QTest::newRow("extensions is a map") << QByteArray("extensions: {a: b}\n");
        QTest::newRow("duplicate names") << QByteArray(
            "clusters:\n- name: c\n  cluster: {server: https://192.0.2.1}\n- name: c\n  cluster: {server: "
            "https://192.0.2.2}\n");
        QTest::newRow("billion laughs in an extension")
            << billionLaughs("clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.1\n    extensions:\n"
                             "    - name: e\n      extension: *a9\n");
        QTest::newRow("billion laughs as a server")
            << billionLaughs("clusters:\n- name: c\n  cluster:\n    server: *a9\n");
        QTest::newRow("billion laughs as args")
            << billionLaughs("users:\n- name: u\n  user:\n    exec:\n      command: x\n      args: *a9\n");
        QTest::newRow("undefined alias") << QByteArray("clusters: *nothing\n");
        QTest::newRow("unterminated flow list") << QByteArray("clusters: [a, b\ncurrent-context: x\n");
        QTest::newRow("tab indentation") << QByteArray("clusters:\n\t- name: c\n");
        QTest::newRow("bad base64") << QByteArray(
            "clusters:\n- name: c\n  cluster:\n    server: https://192.0.2.1\n    certificate-authority-data: '!!!'\n");
    }

    void hostileInputYieldsErrors()
    {
        QFETCH(QByteArray, yaml);
        QElapsedTimer timer;
        timer.start();
        const QString path = QStringLiteral("/hostile/kubeconfig.yaml");
        const KubeconfigDocument doc = KubeconfigDocument::fromYaml(yaml, path);
        const QStringList errors = documentErrors(doc);
        QVERIFY2(!errors.isEmpty(), "hostile input was accepted without an error");
        for (const QString &error : errors) {
            QVERIFY2(error.contains(path), qPrintable(error.left(500)));
            QVERIFY2(error.size() < 4000, qPrintable(error.left(500)));
        }
        // Printing whatever was parsed must not blow up either; it always yields some YAML.
        const KubeconfigViewResult view = KubeconfigPrinter::view(doc, {});
        QVERIFY(view.output.startsWith("apiVersion: v1\n"));
        QVERIFY2(timer.elapsed() < 20000, "hostile input took too long");
    }

    void longKeysAndHugeNumbersSurviveARoundTrip()
    {
        // Fuzz findings: a key over YAML's 1024-character limit for implicit keys, and a float beyond
        // a double. The printed YAML must load again to the same JSON; the number stays text, as in kubectl.
        const QByteArray longKey(1500, 'k');
        const QByteArray yaml = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers:\n- name: u\n"
                                "  user:\n    token: t\n    as-user-extra:\n      ? " +
            longKey + "\n      : [v]\nextensions:\n- name: x\n  extension: {a: 1e9991, b: 2.5}\n";
        KubeconfigViewOptions raw;
        raw.raw = true;
        KubeconfigViewOptions json = raw;
        json.format = KubeconfigViewOptions::Format::Json;
        const KubeconfigDocument doc = KubeconfigDocument::fromYaml(yaml, QStringLiteral("/fuzz/kubeconfig"));
        QVERIFY2(documentErrors(doc).isEmpty(), qPrintable(documentErrors(doc).join(QLatin1Char('\n'))));
        const KubeconfigViewResult printed = KubeconfigPrinter::view(doc, raw);
        QVERIFY2(printed.output.contains("? " + longKey), printed.output.constData());
        const KubeconfigDocument again = KubeconfigDocument::fromYaml(printed.output, QStringLiteral("/fuzz/printed"));
        QVERIFY2(documentErrors(again).isEmpty(), qPrintable(documentErrors(again).join(QLatin1Char('\n'))));
        const QByteArray firstJson = KubeconfigPrinter::view(doc, json).output;
        QCOMPARE(KubeconfigPrinter::view(again, json).output, firstJson);
        QVERIFY2(firstJson.contains("\"a\": \"1e9991\""), firstJson.constData());
        QVERIFY2(firstJson.contains("\"b\": 2.5"), firstJson.constData());
    }

    void oversizedFileIsRefusedBeforeParsing()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("huge.yaml"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QVERIFY(file.resize(KubeconfigDocument::kMaxFileSize + 1));
        file.close();
        const KubeconfigDocument doc = KubeconfigDocument::fromFile(path);
        QVERIFY2(doc.fileError.contains(QLatin1String("MiB")), qPrintable(doc.fileError));
        QVERIFY(doc.fileError.contains(path));

        KubeconfigLoadOptions options;
        options.environment = QProcessEnvironment();
        options.explicitPath = path;
        const Kubeconfig config = Kubeconfig::load(options);
        QCOMPARE(config.fileErrors.size(), 1);
        QVERIFY(config.contexts.isEmpty());
    }

    void directoryInsteadOfFileIsAnError()
    {
        QTemporaryDir dir;
        const KubeconfigDocument doc = KubeconfigDocument::fromFile(dir.path());
        QVERIFY(!doc.fileError.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestKubeconfigHostile)
#include "tst_kubeconfig_hostile.moc"
