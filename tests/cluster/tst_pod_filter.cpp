// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_filter.h"

#include <QTest>

using podtap::cluster::PodFilter;
using podtap::cluster::PodFilterTerm;
using Kind = podtap::cluster::PodFilterTerm::Kind;

/// @brief The console's filter text parses into AND-ed terms and keeps exactly the pods a person means.
class TestPodFilter final : public QObject
{
    Q_OBJECT

private:
    static bool keeps(
        const QString &filter, const QString &name, const QString &node, const QHash<QString, QString> &labels)
    {
        return PodFilter::parse(filter).matches(name, node, labels);
    }

private Q_SLOTS:
    void parsesEveryKindOfWord()
    {
        const PodFilter filter =
            PodFilter::parse(QStringLiteral("  web  app=frontend tier==db env!=prod team= node:Worker-2 "));
        const QList<PodFilterTerm> expected {
            {Kind::NameContains, {}, QStringLiteral("web"), QStringLiteral("web")},
            {Kind::LabelEquals, QStringLiteral("app"), QStringLiteral("frontend"), {}},
            {Kind::LabelEquals, QStringLiteral("tier"), QStringLiteral("db"), {}},
            {Kind::LabelNotEquals, QStringLiteral("env"), QStringLiteral("prod"), {}},
            {Kind::LabelExists, QStringLiteral("team"), {}, {}},
            {Kind::NodeContains, {}, QStringLiteral("Worker-2"), QStringLiteral("worker-2")},
        };
        QCOMPARE(filter.terms(), expected);
        QVERIFY(filter.needsLabels());
    }

    void ignoresHalfTypedWords()
    {
        const PodFilter filter = PodFilter::parse(QStringLiteral("node: =x != web"));
        QCOMPARE(filter.terms().size(), 1);
        QCOMPARE(filter.terms().first().value, QStringLiteral("web"));
        QVERIFY(!filter.needsLabels());
        QVERIFY(PodFilter::parse(QStringLiteral(" \t ")).isEmpty());
    }

    void emptyFilterKeepsEveryPod() { QVERIFY(keeps(QString(), QStringLiteral("anything"), QString(), {})); }

    void nameIsCaseInsensitiveSubstring()
    {
        QVERIFY(keeps(QStringLiteral("WEB"), QStringLiteral("frontend-web-7d9f"), QString(), {}));
        QVERIFY(!keeps(QStringLiteral("api"), QStringLiteral("frontend-web-7d9f"), QString(), {}));
    }

    void textSearchIgnoresCaseExactlyAsQtDoes_data()
    {
        QTest::addColumn<QString>("needle");
        QTest::addColumn<QString>("text");
        const QString kelvin = QString(QChar(0x212A)); // KELVIN SIGN folds to 'k'
        const QStringList needles {QStringLiteral("web"), QStringLiteral("WEB"), QStringLiteral("k8s"),
            QStringLiteral("K8S"), QStringLiteral("caf") + QChar(0xe9), QStringLiteral("7d9f"), QStringLiteral("-pod"),
            QStringLiteral("frontend-web-7d9f-and-more"), QStringLiteral("x")};
        const QStringList texts {QStringLiteral("frontend-web-7d9f"), QStringLiteral("Frontend-WEB"),
            kelvin + QStringLiteral("8s-pod"), QStringLiteral("k8s-pod"), QStringLiteral("CAF") + QChar(0xc9),
            QStringLiteral("caf") + QChar(0xe9), QString(), QStringLiteral("X")};
        for (const QString &needle : needles) {
            for (const QString &text : texts)
                QTest::addRow("%s in %s", qPrintable(needle), qPrintable(text)) << needle << text;
        }
    }

    void textSearchIgnoresCaseExactlyAsQtDoes()
    {
        // The fast path (a lower-cased ASCII needle, searched case-sensitively) must agree with a plain
        // case-insensitive search on every text, including upper case and non-ASCII letters.
        QFETCH(QString, needle);
        QFETCH(QString, text);
        const PodFilter filter = PodFilter::parse(needle);
        QCOMPARE(filter.terms().size(), 1);
        QCOMPARE(filter.terms().first().containedIn(text), QStringView(text).contains(needle, Qt::CaseInsensitive));
    }

    void labelsMatchExactly()
    {
        const QHash<QString, QString> labels {{QStringLiteral("app"), QStringLiteral("web")}};
        QVERIFY(keeps(QStringLiteral("app=web"), QStringLiteral("p"), QString(), labels));
        QVERIFY(!keeps(QStringLiteral("app=we"), QStringLiteral("p"), QString(), labels));
        QVERIFY(!keeps(QStringLiteral("app=WEB"), QStringLiteral("p"), QString(), labels));
        QVERIFY(!keeps(QStringLiteral("tier=web"), QStringLiteral("p"), QString(), labels));
        QVERIFY(keeps(QStringLiteral("app="), QStringLiteral("p"), QString(), labels));
        QVERIFY(!keeps(QStringLiteral("tier="), QStringLiteral("p"), QString(), labels));
        QVERIFY(!keeps(QStringLiteral("app!=web"), QStringLiteral("p"), QString(), labels));
        QVERIFY(keeps(QStringLiteral("tier!=db"), QStringLiteral("p"), QString(), labels));
    }

    void nodeMatchesItsName()
    {
        QVERIFY(keeps(QStringLiteral("node:worker-2"), QStringLiteral("p"), QStringLiteral("Worker-2"), {}));
        QVERIFY(!keeps(QStringLiteral("node:worker-2"), QStringLiteral("worker-2"), QStringLiteral("worker-1"), {}));
    }

    void wordsCombineWithAnd()
    {
        const QHash<QString, QString> labels {{QStringLiteral("app"), QStringLiteral("web")}};
        const QString filter = QStringLiteral("front app=web node:w1");
        QVERIFY(keeps(filter, QStringLiteral("frontend-0"), QStringLiteral("w1"), labels));
        QVERIFY(!keeps(filter, QStringLiteral("backend-0"), QStringLiteral("w1"), labels));
        QVERIFY(!keeps(filter, QStringLiteral("frontend-0"), QStringLiteral("w2"), labels));
        QVERIFY(!keeps(filter, QStringLiteral("frontend-0"), QStringLiteral("w1"), {}));
    }

    void labelLookupIsSkippedWhenNoTermNeedsIt()
    {
        int lookups = 0;
        const PodFilter filter = PodFilter::parse(QStringLiteral("web node:n"));
        const bool kept = filter.matches(u"web-1", u"n1", [&lookups](const QString &) -> std::optional<QString> {
            ++lookups;
            return std::nullopt;
        });
        QVERIFY(kept);
        QCOMPARE(lookups, 0);
    }
};

QTEST_GUILESS_MAIN(TestPodFilter)
#include "tst_pod_filter.moc"
