"""What WeChat posts to the server (member messages and events as XML, the signed query,
the plaintext / compatible / safe envelopes) and how it reads the answer (`success`,
a passive reply, or anything else: the banner). Pure functions; the layouts follow the
payloads in shared/wechat (crypto_vectors.json, messages/*.xml)."""
from __future__ import annotations

import base64
import hmac
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional

from bot.wechat_simulator import crypto

# What the member sees when the server fails to answer in time or answers garbage.
BANNER = "该公众号暂时无法提供服务，请稍后再试"
MODES = ("plaintext", "compatible", "safe")
ENVELOPE_ORDER = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
# Written without CDATA, as WeChat does (numbers, and MenuId in the menu doc's example).
BARE_FIELDS = {"CreateTime", "MsgId", "MsgID", "Location_X", "Location_Y", "Scale",
               "Latitude", "Longitude", "Precision", "MenuId", "PopupScene"}
PASSIVE_TYPES = {"text": None, "image": "Image", "voice": "Voice", "video": "Video",
                 "music": "Music", "news": "Articles"}
_UNSAFE_XML = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


# ------------------------------------------------------------------ building XML

def cdata(text: str) -> str:
    # "]]>" cannot sit inside one CDATA section: split it across two.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def element(name: str, value: Any) -> str:
    """One child: strings in CDATA, numbers bare, a dict as nested children, a list as
    the element repeated."""
    if isinstance(value, list):
        return "".join(element(name, item) for item in value)
    if isinstance(value, Mapping):
        inner = "".join(element(k, v) for k, v in value.items())
        return f"<{name}>{inner}</{name}>"
    if name in BARE_FIELDS or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return f"<{name}>{_escape(str(value))}</{name}>"
    return f"<{name}>{cdata(str(value))}</{name}>"


def ordered(fields: Mapping[str, Any]) -> Dict[str, Any]:
    """The envelope fields first, in WeChat's order, then the rest as given."""
    head = {k: fields[k] for k in ENVELOPE_ORDER if k in fields}
    return {**head, **{k: v for k, v in fields.items() if k not in head}}


def build_xml(fields: Mapping[str, Any], separator: str = "\n") -> bytes:
    """`<xml><ToUserName>...</ToUserName>\\n<FromUserName>...\\n</xml>`: the layout of
    every plaintext WeChat posts (the decrypted vectors)."""
    children = [element(k, v) for k, v in ordered(fields).items()]
    return ("<xml>" + separator.join(children) + separator + "</xml>").encode("utf-8")


# ------------------------------------------------------------------ member actions

def qr_ticket(scene: str) -> str:
    """A ticket-like string for a parametric QR code (WeChat's are opaque base64)."""
    return base64.b64encode(f"sim-qrcode:{scene}".encode("utf-8")).decode("ascii")


def follow(scene: Optional[str] = None) -> Dict[str, Any]:
    fields: Dict[str, Any] = {"MsgType": "event", "Event": "subscribe"}
    if scene is not None:
        fields.update(EventKey=f"qrscene_{scene}", Ticket=qr_ticket(str(scene)))
    return fields


def unfollow() -> Dict[str, Any]:
    return {"MsgType": "event", "Event": "unsubscribe"}


def scan(scene: str) -> Dict[str, Any]:
    return {"MsgType": "event", "Event": "SCAN", "EventKey": str(scene),
            "Ticket": qr_ticket(str(scene))}


def text(text: str) -> Dict[str, Any]:
    return {"MsgType": "text", "Content": text}


def image(pic_url: str, media_id: str) -> Dict[str, Any]:
    return {"MsgType": "image", "PicUrl": pic_url, "MediaId": media_id}


def voice(media_id: str, audio_format: str, recognition: Optional[str]) -> Dict[str, Any]:
    fields = {"MsgType": "voice", "MediaId": media_id, "Format": audio_format}
    if recognition is not None:
        fields["Recognition"] = recognition
    return fields


def location(x: float, y: float, scale: int = 20, label: str = "") -> Dict[str, Any]:
    return {"MsgType": "location", "Location_X": f"{x:.6f}", "Location_Y": f"{y:.6f}",
            "Scale": int(scale), "Label": label}


def link(title: str, description: str, url: str) -> Dict[str, Any]:
    return {"MsgType": "link", "Title": title, "Description": description, "Url": url}


def click(key: str) -> Dict[str, Any]:
    return {"MsgType": "event", "Event": "CLICK", "EventKey": key}


def view(url: str, menu_id: Optional[str] = None) -> Dict[str, Any]:
    fields: Dict[str, Any] = {"MsgType": "event", "Event": "VIEW", "EventKey": url}
    if menu_id is not None:
        fields["MenuId"] = menu_id
    return fields


def template_job_finished(msg_id: int, status: str = "success") -> Dict[str, Any]:
    return {"MsgType": "event", "Event": "TEMPLATESENDJOBFINISH", "MsgID": msg_id,
            "Status": status}


# Member actions by name (the simulator's methods and /_sim/members/<openid>/<action>)
# -> their fields; follow, send_image and send_voice are built by the simulator
# (follow state, stored media).
ACTIONS: Dict[str, Callable[..., Dict[str, Any]]] = {
    "unfollow": unfollow,
    "scan": scan,
    "send_text": text,
    "send_location": location,
    "send_link": link,
    "click": click,
    "view": view,
}
ACTION_NAMES = ("follow", *ACTIONS, "send_image", "send_voice")


# ------------------------------------------------------------------ the request

@dataclass(frozen=True)
class Envelope:
    """One POST: its query string and body."""

    query: Dict[str, str]
    body: bytes


def envelope(mode: str, token: str, fields: Mapping[str, Any], timestamp: int, nonce: str,
             openid: str, key: Optional[bytes] = None, app_id: str = "",
             random: Optional[bytes] = None) -> Envelope:
    """Plaintext: the XML. Compatible: the plaintext fields and <Encrypt> side by side
    (Tencent's sample layout, on one line). Safe: <ToUserName> and <Encrypt> only (the
    消息推送 doc's layout). Encrypted modes add encrypt_type=aes and msg_signature."""
    stamp = str(timestamp)
    query = {"signature": crypto.sha1_signature(token, stamp, nonce), "timestamp": stamp,
             "nonce": nonce, "openid": openid}
    plain = build_xml(fields)
    if mode == "plaintext":
        return Envelope(query, plain)
    if key is None:
        raise ValueError(f"{mode} mode needs an EncodingAESKey")
    encrypted = crypto.encrypt(key, app_id, plain, random)
    if mode == "compatible":
        children = "".join(element(k, v) for k, v in ordered(fields).items())
        body = f"<xml>{children}{element('Encrypt', encrypted)}</xml>"
    else:
        body = (f"<xml>\n    {element('ToUserName', fields['ToUserName'])}\n"
                f"    {element('Encrypt', encrypted)}\n</xml>")
    query.update(encrypt_type="aes",
                 msg_signature=crypto.sha1_signature(token, stamp, nonce, encrypted))
    return Envelope(query, body.encode("utf-8"))


# ------------------------------------------------------------------ the answer

def answer_kind(status: Optional[int], body: bytes) -> str:
    """"retry" (no answer, or 5xx), "accepted" (`success` or an empty body; surrounding
    whitespace tolerated), "reply" (a 2xx to read as a passive reply) or "banner"."""
    if status is None or status >= 500:
        return "retry"
    if not 200 <= status < 300:
        return "banner"
    if body.strip() in (b"", b"success"):
        return "accepted"
    return "reply"


def _parse(body: bytes) -> Optional[ElementTree.Element]:
    if _UNSAFE_XML.search(body):
        return None
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    return root if root.tag == "xml" else None


def _child(root: ElementTree.Element, name: str) -> str:
    found = root.find(name)
    return (found.text or "") if found is not None else ""


def read_passive_reply(body: bytes, mode: str, token: str, key: Optional[bytes],
                       app_id: str, openid: str, original_id: str) -> Optional[Dict[str, Any]]:
    """What the member sees from a passive reply, or None when WeChat would show the
    banner instead. Encrypted replies (compatible or safe mode) must carry a matching
    MsgSignature and decrypt for our AppID; safe mode accepts nothing else. The inner
    reply must be addressed to the member from the account, with a known MsgType and,
    for text, a non-empty Content."""
    root = _parse(body)
    if root is None:
        return None
    if root.find("Encrypt") is not None:
        if mode == "plaintext" or key is None:
            return None
        encrypted = _child(root, "Encrypt")
        expected = crypto.sha1_signature(token, _child(root, "TimeStamp"),
                                         _child(root, "Nonce"), encrypted)
        if not hmac.compare_digest(expected.encode(), _child(root, "MsgSignature").encode()):
            return None
        try:
            root = _parse(crypto.decrypt_for(key, app_id, encrypted))
        except crypto.CryptoError:
            return None
        if root is None:
            return None
    elif mode == "safe":
        return None
    msg_type = _child(root, "MsgType")
    if msg_type not in PASSIVE_TYPES or _child(root, "ToUserName") != openid \
            or _child(root, "FromUserName") != original_id \
            or not _child(root, "CreateTime").strip().isdigit():
        return None
    if msg_type == "text":
        content = _child(root, "Content")
        return {"msgtype": "text", "text": {"content": content}, "passive": True} \
            if content else None
    part = root.find(PASSIVE_TYPES[msg_type])
    if part is None:
        return None
    return {"msgtype": msg_type, "passive": True, msg_type: _as_dict(part)}


def _as_dict(node: ElementTree.Element) -> Any:
    children: List[ElementTree.Element] = list(node)
    if not children:
        return node.text or ""
    result: Dict[str, Any] = {}
    for child in children:
        value = _as_dict(child)
        if child.tag in result:
            previous = result[child.tag]
            result[child.tag] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            result[child.tag] = value
    return result
