// SPDX-License-Identifier: Apache-2.0
#include "object_selector.h"

namespace podtap::sim {

namespace {

// Splits on commas that are not inside parentheses: "a in (x,y),b" -> ["a in (x,y)", "b"].
QByteArrayList splitTerms(const QByteArray &selector)
{
    QByteArrayList terms;
    int depth = 0;
    QByteArray current;
    for (char c : selector) {
        if (c == '(') {
            ++depth;
        } else if (c == ')') {
            --depth;
        }
        if (c == ',' && depth == 0) {
            terms.append(current.trimmed());
            current.clear();
        } else {
            current.append(c);
        }
    }
    if (!current.trimmed().isEmpty() || !terms.isEmpty()) {
        terms.append(current.trimmed());
    }
    return terms;
}

bool validLabelKey(const QByteArray &key)
{
    if (key.isEmpty() || key.size() > 316) {
        return false;
    }
    for (char c : key) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) {
            return false;
        }
    }
    return true;
}

} // namespace

bool ObjectSelector::parse(
    Kind kind, const QByteArray &labelSelector, const QByteArray &fieldSelector, QByteArray *error)
{
    m_labels.clear();
    m_fields.clear();
    for (const QByteArray &term : splitTerms(labelSelector)) {
        LabelRequirement req;
        const QByteArray lower = term;
        const int inPos = term.indexOf(" in ");
        const int notinPos = term.indexOf(" notin ");
        if (term.isEmpty()) {
            *error = "unable to parse requirement: found '', expected: identifier";
            return false;
        }
        if (notinPos > 0 || inPos > 0) {
            const bool notIn = notinPos > 0;
            const int pos = notIn ? notinPos : inPos;
            req.key = term.left(pos).trimmed();
            QByteArray set = term.mid(pos + (notIn ? 7 : 4)).trimmed();
            if (!set.startsWith('(') || !set.endsWith(')')) {
                *error = "unable to parse requirement: found '" + set + "', expected: '('";
                return false;
            }
            for (const QByteArray &value : set.mid(1, set.size() - 2).split(',')) {
                req.values.append(value.trimmed());
            }
            req.op = notIn ? LabelRequirement::Op::NotIn : LabelRequirement::Op::In;
        } else if (term.startsWith('!')) {
            req.key = term.mid(1).trimmed();
            req.op = LabelRequirement::Op::DoesNotExist;
        } else if (const int ne = term.indexOf("!="); ne > 0) {
            req.key = term.left(ne).trimmed();
            req.values = {term.mid(ne + 2).trimmed()};
            req.op = LabelRequirement::Op::NotEquals;
        } else if (const int eq = term.indexOf('='); eq > 0) {
            req.key = term.left(eq).trimmed();
            const int skip = term.mid(eq).startsWith("==") ? 2 : 1;
            req.values = {term.mid(eq + skip).trimmed()};
            req.op = LabelRequirement::Op::Equals;
        } else {
            req.key = term;
            req.op = LabelRequirement::Op::Exists;
        }
        if (!validLabelKey(req.key)) {
            *error = "unable to parse requirement: invalid label key \"" + req.key +
                "\": name part must consist of alphanumeric characters, '-', '_' or '.'";
            return false;
        }
        m_labels.push_back(std::move(req));
    }
    for (const QByteArray &term : splitTerms(fieldSelector)) {
        FieldRequirement req;
        if (const int ne = term.indexOf("!="); ne > 0) {
            req.field = term.left(ne).trimmed();
            req.value = term.mid(ne + 2).trimmed();
            req.equals = false;
        } else if (const int eq = term.indexOf('='); eq > 0) {
            req.field = term.left(eq).trimmed();
            req.value = term.mid(eq + (term.mid(eq).startsWith("==") ? 2 : 1)).trimmed();
        } else {
            *error = "invalid selector: '" + fieldSelector + "'; can't understand '" + term + "'";
            return false;
        }
        static const QByteArrayList common = {"metadata.name", "metadata.namespace"};
        static const QByteArrayList podFields = {"spec.nodeName", "status.phase", "status.podIP", "spec.restartPolicy",
            "spec.schedulerName", "spec.serviceAccountName", "status.nominatedNodeName"};
        static const QByteArrayList nodeFields = {"spec.unschedulable"};
        static const QByteArrayList namespaceFields = {"status.phase"};
        static const QByteArrayList none;
        const QByteArrayList &specific = kind == Kind::Pod ? podFields
            : kind == Kind::Node                           ? nodeFields
            : kind == Kind::Namespace                      ? namespaceFields
                                                           : none;
        if (!common.contains(req.field) && !specific.contains(req.field)) {
            *error = "field label not supported: " + req.field;
            return false;
        }
        m_fields.push_back(std::move(req));
    }
    return true;
}

QByteArray ObjectSelector::fieldValue(const SimObject &object, const QByteArray &field)
{
    if (field == "metadata.name") {
        return object.name;
    }
    if (field == "metadata.namespace") {
        return object.ns;
    }
    if (object.kind == Kind::Pod) {
        const SimPod &pod = asPod(object);
        if (field == "spec.nodeName") {
            return pod.nodeName;
        }
        if (field == "status.phase") {
            return pod.phase;
        }
        if (field == "status.podIP") {
            return pod.podIP;
        }
        if (field == "spec.restartPolicy") {
            return pod.restartPolicy;
        }
        if (field == "spec.schedulerName") {
            return "default-scheduler";
        }
        if (field == "spec.serviceAccountName") {
            return pod.serviceAccount;
        }
        return {};
    }
    if (object.kind == Kind::Node && field == "spec.unschedulable") {
        return asNode(object).unschedulable ? "true" : "false";
    }
    if (object.kind == Kind::Namespace && field == "status.phase") {
        return object.deletionMs ? "Terminating" : "Active";
    }
    return {};
}

bool ObjectSelector::matches(const SimObject &object) const
{
    for (const FieldRequirement &req : m_fields) {
        if ((fieldValue(object, req.field) == req.value) != req.equals) {
            return false;
        }
    }
    for (const LabelRequirement &req : m_labels) {
        bool found = false;
        const QByteArray value = object.label(req.key, &found);
        switch (req.op) {
        case LabelRequirement::Op::Equals:
            if (!found || value != req.values.front()) {
                return false;
            }
            break;
        case LabelRequirement::Op::NotEquals:
            if (found && value == req.values.front()) {
                return false;
            }
            break;
        case LabelRequirement::Op::In:
            if (!found || !req.values.contains(value)) {
                return false;
            }
            break;
        case LabelRequirement::Op::NotIn:
            if (found && req.values.contains(value)) {
                return false;
            }
            break;
        case LabelRequirement::Op::Exists:
            if (!found) {
                return false;
            }
            break;
        case LabelRequirement::Op::DoesNotExist:
            if (found) {
                return false;
            }
            break;
        }
    }
    return true;
}

QByteArray ObjectSelector::pinnedNamespace() const
{
    for (const FieldRequirement &req : m_fields) {
        if (req.field == "metadata.namespace" && req.equals) {
            return req.value;
        }
    }
    return {};
}

} // namespace podtap::sim
