// SPDX-License-Identifier: Apache-2.0
// LabelSelector::parse and WorkloadTarget::parse on hostile text: never crash; what they accept
// obeys the key and value rules and survives a round trip through toString(); errors stay short
// and carry no raw control characters.
#include "cluster/label_selector.h"
#include "cluster/workload_target.h"
#include "common/names.h"
#include "fuzz_support.h"

using podtap::cluster::LabelRequirement;
using podtap::cluster::LabelSelector;
using podtap::cluster::WorkloadTarget;
using podtap::fuzz::require;

namespace {

void requirePrintable(const QString &error)
{
    require(!error.isEmpty(), "a refusal says why");
    require(error.size() < 2048, "an error quotes a cut of the input, not all of it");
    for (const QChar c : error) {
        require(c.unicode() >= 0x20 && c.unicode() != 0x7f, "no raw control characters in an error");
    }
}

void checkAccepted(const LabelSelector &selector)
{
    QHash<QString, QString> labels;
    for (const LabelRequirement &r : selector.requirements()) {
        require(podtap::cluster::labelKeyProblem(r.key).isEmpty(), "accepted keys are valid label keys");
        for (const QString &value : r.values) {
            require(podtap::cluster::labelValueProblem(value).isEmpty(), "accepted values are valid label values");
        }
        const bool oneValue = r.op == LabelRequirement::Op::Equals || r.op == LabelRequirement::Op::NotEquals;
        const bool set = r.op == LabelRequirement::Op::In || r.op == LabelRequirement::Op::NotIn;
        require(!oneValue || r.values.size() == 1, "= and != carry one value");
        require(!set || !r.values.isEmpty(), "in and notin carry a value");
        require(oneValue || set || r.values.isEmpty(), "exists and !exists carry none");
        if (!r.values.isEmpty()) {
            labels.insert(r.key, r.values.first());
        }
    }
    QString error;
    const auto again = LabelSelector::parse(selector.toString(), &error);
    require(again.has_value(), "toString() parses");
    require(again->toString() == selector.toString(), "toString() is canonical");
    require(again->matches(labels) == selector.matches(labels), "the round trip selects the same pods");
    require(again->matches({}) == selector.matches({}), "the round trip selects the same unlabelled pods");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QString text = QString::fromUtf8(podtap::fuzz::bytes(data, size));
    QString error;
    if (const auto selector = LabelSelector::parse(text, &error)) {
        checkAccepted(*selector);
    } else {
        requirePrintable(error);
    }

    error.clear();
    if (const auto target = WorkloadTarget::parse(text, QStringLiteral("default"), &error)) {
        require(podtap::isDnsLabel(target->namespaceName), "the namespace is a DNS label");
        if (target->kind == WorkloadTarget::Kind::Selector) {
            require(!target->selector.isEmpty(), "a selector target never selects everything");
            checkAccepted(target->selector);
        } else {
            require(podtap::isDnsSubdomain(target->name), "the name is a DNS subdomain");
            require(target->apiPath().endsWith(QLatin1Char('/') + target->name), "the API path ends in the name");
        }
    } else {
        requirePrintable(error);
    }
    return 0;
}
