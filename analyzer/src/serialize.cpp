// ====================================================================================================
// CodeObject serialization; format in serialize.hpp.
// ====================================================================================================
#include "shrinkpy/analyzer/serialize.hpp"

#include <cstring>

namespace shrinkpy::analyzer {
namespace {

constexpr char kFileMagic[4] = {'S', 'P', 'C', 'O'};
constexpr std::uint8_t kVersion = 1;
constexpr int kMaxDepth = 64;

class Writer {
public:
    void u8(std::uint8_t v) { out.push_back(static_cast<char>(v)); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v));
        u8(static_cast<std::uint8_t>(v >> 8));
    }
    void u32(std::uint32_t v) {
        for (int k = 0; k < 4; ++k) u8(static_cast<std::uint8_t>(v >> (8 * k)));
    }
    void bytes(const std::string& s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out += s;
    }
    void strings(const std::vector<std::string>& v) {
        u32(static_cast<std::uint32_t>(v.size()));
        for (const std::string& s : v) bytes(s);
    }
    void constant(const Constant& c) {
        u8(static_cast<std::uint8_t>(c.kind));
        switch (c.kind) {
            case Constant::Kind::code: code(*c.code); break;
            case Constant::Kind::tuple:
            case Constant::Kind::frozenset:
                u32(static_cast<std::uint32_t>(c.items.size()));
                for (const Constant& item : c.items) constant(item);
                break;
            default: bytes(c.text); break;
        }
    }
    void code(const CodeObject& c) {
        u16(c.magic);
        for (std::int32_t v : {c.argcount, c.posonlyargcount, c.kwonlyargcount, c.stacksize})
            u32(static_cast<std::uint32_t>(v));
        u32(c.flags);
        u32(static_cast<std::uint32_t>(c.firstlineno));
        bytes(c.code);
        bytes(c.exceptiontable);
        bytes(c.linetable);
        strings(c.names);
        strings(c.localsplus_names);
        bytes(c.localsplus_kinds);
        bytes(c.filename);
        bytes(c.name);
        bytes(c.qualname);
        u32(static_cast<std::uint32_t>(c.consts.size()));
        for (const Constant& k : c.consts) constant(k);
    }
    std::string out;
};

class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    std::size_t pos = 0;

    Error error(const std::string& reason) const {
        return make_error(Section::serialized, static_cast<std::int64_t>(pos), -1, reason);
    }
    bool need(std::size_t n) const { return in_.size() - pos >= n; }
    Result<std::uint32_t> u(int width) {
        if (!need(static_cast<std::size_t>(width))) return error("truncated");
        std::uint32_t v = 0;
        for (int k = 0; k < width; ++k)
            v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(in_[pos++])) << (8 * k);
        return v;
    }
    Result<std::string> bytes() {
        auto n = u(4);
        if (!n) return n.error();
        if (!need(*n)) return error("length " + std::to_string(*n) + " runs past the end");
        std::string s(in_.substr(pos, *n));
        pos += *n;
        return s;
    }
    Status strings(std::vector<std::string>& out) {
        auto n = u(4);
        if (!n) return n.error();
        if (!need(static_cast<std::size_t>(*n) * 4)) return error("string count runs past the end");
        for (std::uint32_t i = 0; i < *n; ++i) {
            auto s = bytes();
            if (!s) return s.error();
            out.push_back(std::move(s).value());
        }
        return Ok{};
    }
    Status constant(Constant& c, int depth) {
        if (depth > kMaxDepth) return error("constants nested too deeply");
        auto kind = u(1);
        if (!kind) return kind.error();
        if (*kind > static_cast<std::uint32_t>(Constant::Kind::other)) return error("bad constant kind");
        c.kind = static_cast<Constant::Kind>(*kind);
        if (c.kind == Constant::Kind::code) {
            auto nested = std::make_shared<CodeObject>();
            if (Status s = code(*nested, depth + 1); !s) return s;
            c.code = std::move(nested);
        } else if (c.kind == Constant::Kind::tuple || c.kind == Constant::Kind::frozenset) {
            auto n = u(4);
            if (!n) return n.error();
            if (!need(*n)) return error("tuple length runs past the end");
            c.items.resize(*n);
            for (Constant& item : c.items) {
                if (Status s = constant(item, depth + 1); !s) return s;
            }
        } else {
            auto text = bytes();
            if (!text) return text.error();
            c.text = std::move(text).value();
        }
        return Ok{};
    }
    Status code(CodeObject& c, int depth) {
        if (depth > kMaxDepth) return error("code objects nested too deeply");
        auto magic = u(2);
        if (!magic) return magic.error();
        c.magic = static_cast<std::uint16_t>(*magic);
        std::int32_t* ints[] = {&c.argcount, &c.posonlyargcount, &c.kwonlyargcount, &c.stacksize};
        for (std::int32_t* field : ints) {
            auto v = u(4);
            if (!v) return v.error();
            *field = static_cast<std::int32_t>(*v);
        }
        auto flags = u(4);
        if (!flags) return flags.error();
        c.flags = *flags;
        auto first = u(4);
        if (!first) return first.error();
        c.firstlineno = static_cast<std::int32_t>(*first);
        std::string* blobs[] = {&c.code, &c.exceptiontable, &c.linetable};
        for (std::string* blob : blobs) {
            auto b = bytes();
            if (!b) return b.error();
            *blob = std::move(b).value();
        }
        if (Status s = strings(c.names); !s) return s;
        if (Status s = strings(c.localsplus_names); !s) return s;
        std::string* texts[] = {&c.localsplus_kinds, &c.filename, &c.name, &c.qualname};
        for (std::string* text : texts) {
            auto b = bytes();
            if (!b) return b.error();
            *text = std::move(b).value();
        }
        auto n = u(4);
        if (!n) return n.error();
        if (!need(*n)) return error("constant count runs past the end");
        c.consts.resize(*n);
        for (Constant& k : c.consts) {
            if (Status s = constant(k, depth + 1); !s) return s;
        }
        return Ok{};
    }

private:
    std::string_view in_;
};

}  // namespace

std::string serialize_many(const std::vector<const CodeObject*>& codes) {
    Writer w;
    w.out.append(kFileMagic, 4);
    w.u8(kVersion);
    w.u32(static_cast<std::uint32_t>(codes.size()));
    for (const CodeObject* c : codes) w.code(*c);
    return w.out;
}

std::string serialize(const CodeObject& code) { return serialize_many({&code}); }

Result<std::vector<CodeObject>> deserialize(std::string_view bytes) {
    Reader r(bytes);
    if (bytes.size() < 9 || std::memcmp(bytes.data(), kFileMagic, 4) != 0) return r.error("not a SPCO corpus");
    if (static_cast<std::uint8_t>(bytes[4]) != kVersion) return r.error("unknown SPCO version");
    r.pos = 5;
    auto count = r.u(4);
    if (!count) return count.error();
    if (!r.need(*count)) return r.error("code count runs past the end");
    std::vector<CodeObject> out(*count);
    for (CodeObject& c : out) {
        if (Status s = r.code(c, 0); !s) return s.error();
    }
    if (r.need(1)) return r.error("trailing bytes");
    return out;
}

}  // namespace shrinkpy::analyzer
