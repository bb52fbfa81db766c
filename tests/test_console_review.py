"""The reviewers' pages of the console over HTTP against a real gateway process and its
SQLite database: roles, the inbox (masked text, ranking, entities, paging), the keyboard
actions' endpoints (accept, relabel, entities, undo, CSRF), unmasking (admins with a
reason, audited), saved filters, tags, the conversations list, clusters and the export
into a temporary data directory (HM_REVIEW_DATA_DIR: never the project's data/). The
member messages are written straight into the gateway's database with what the bot
understood of them, as the router stores Rasa's parse data."""
from __future__ import annotations

import json
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import yaml
from sqlalchemy import select

from bot.clock import Clock
from bot.console import accounts
from bot.db import Database
from bot.gateway.models import AuditEntry, Conversation, Message, ReviewDecision
from bot.processes import ROOT, free_port
from tests.conftest import CONSOLE_PASSWORD, TEST_NOW, ConsoleUser, GatewayProcess, start_gateway

NOW = Clock.from_env({"HM_NOW": TEST_NOW}).now()
PHONE, ID_NUMBER, POLICY = "13812345678", "110105199003070025", "ZAHM2026000002"
PAGES = ("/console/review/inbox", "/console/review/conversations",
         "/console/review/clusters", "/console/review/export")


@dataclass
class ReviewGateway:
    """A gateway whose review export writes into its own temporary data directory."""

    gateway: GatewayProcess
    data_dir: Path

    @property
    def url(self) -> str:
        return self.gateway.url

    def console(self, username: str) -> ConsoleUser:
        return self.gateway.console(username)

    @property
    def reviewed(self) -> Path:
        return self.data_dir / "nlu" / "reviewed.yml"


def start_review_gateway(name: str, backends, data_dir: Path) -> ReviewGateway:
    """No Rasa behind it (fast); the training data a copy of the project's data/nlu."""
    shutil.copytree(ROOT / "data" / "nlu", data_dir / "nlu")
    gateway = start_gateway(name, f"http://127.0.0.1:{free_port()}", backends,
                            env={"HM_REVIEW_DATA_DIR": str(data_dir),
                                 "HM_REVIEW_STORIES_DIR": str(data_dir / "stories")})
    return ReviewGateway(gateway, data_dir)


@pytest.fixture(scope="module")
def review_gateway(backends_server, tmp_path_factory) -> Iterator[ReviewGateway]:
    started = start_review_gateway("gateway-review", backends_server,
                                   tmp_path_factory.mktemp("review-data"))
    yield started
    started.gateway.server.stop()


def said(text: str, intent: str = "ask_direct_billing", confidence: float = 0.5,
         entities: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    """A member message and what the bot made of it (a ranking of four)."""
    ranking = [{"name": intent, "confidence": confidence}] if intent != "nlu_fallback" else []
    ranking += [{"name": "ask_claim", "confidence": 0.2}, {"name": "greet", "confidence": 0.1},
                {"name": "thank", "confidence": 0.05}]
    return {"text": text, "intent": intent, "confidence": confidence,
            "intent_ranking": ranking, "entities": entities or []}


def conversation(rg: ReviewGateway, *messages: Dict[str, Any],
                 channel: str = "web") -> tuple:
    """A conversation with these member messages: (conversation id, message ids)."""
    db = Database.from_url(rg.gateway.db_url)
    try:
        with db.writing() as session:
            c = Conversation(channel=channel, external_id=f"review-{uuid.uuid4().hex[:12]}",
                             state="bot", created_at=NOW, last_message_at=NOW)
            session.add(c)
            session.flush()
            ids = []
            for m in messages:
                row = Message(conversation_id=c.id, direction="in", author="member",
                              routed_to="bot", created_at=NOW, **m)
                session.add(row)
                session.flush()
                ids.append(row.id)
            return c.id, ids
    finally:
        db.dispose()


def new_user(rg: ReviewGateway, role: str = "reviewer") -> ConsoleUser:
    """A console user of its own, so that 'undo my last decision' is this test's."""
    username = f"{role}-{uuid.uuid4().hex[:8]}"
    db = Database.from_url(rg.gateway.db_url)
    try:
        with db.writing() as session:
            accounts.create_user(session, username, CONSOLE_PASSWORD, role, "审核" + username[-4:],
                                 NOW)
    finally:
        db.dispose()
    return rg.console(username)


def rows(rg: ReviewGateway, model, *where) -> list:
    db = Database.from_url(rg.gateway.db_url)
    try:
        with db.reading() as session:
            found = session.execute(select(model).where(*where).order_by(model.id)).scalars().all()
            session.expunge_all()
            return found
    finally:
        db.dispose()


def audited(rg: ReviewGateway, action: str, target: str) -> List[AuditEntry]:
    return rows(rg, AuditEntry, AuditEntry.action == action, AuditEntry.target == target)


def decide(user: ConsoleUser, message_id: int, **fields):
    return user.http.post(f"{user.url}/console/review/messages/{message_id}/decision",
                          data=json.dumps(fields), timeout=30,
                          headers={"Accept": "application/json", "X-CSRF-Token": user.csrf,
                                   "Content-Type": "application/json"})


# ------------------------------------------------------------------ access


@pytest.mark.parametrize("path", PAGES)
def test_review_pages_are_for_reviewers_and_admins_not_managers(review_gateway, path):
    assert review_gateway.console("wang").get(path).status_code == 403
    assert review_gateway.console("zhao").get(path).status_code == 200
    assert review_gateway.console("boss").get(path).status_code == 200
    import requests

    anonymous = requests.get(review_gateway.url + path, allow_redirects=False, timeout=10)
    assert anonymous.status_code == 302


def test_a_manager_cannot_decide_tag_or_export(review_gateway):
    cid, (mid,) = conversation(review_gateway, said("直付卡丢了怎么补办 mgr"))
    wang = review_gateway.console("wang")
    assert wang.post(f"/console/review/messages/{mid}/decision",
                     {"action": "accept"}).status_code == 403
    assert wang.post(f"/console/review/conversations/{cid}/tags", {"tag": "x"}).status_code == 403
    assert wang.post("/console/review/export").status_code == 403
    assert wang.post("/console/review/gate").status_code == 403
    assert rows(review_gateway, ReviewDecision, ReviewDecision.message_id == mid) == []


def test_the_header_links_the_review_pages_for_reviewers_only(review_gateway):
    reviewer = review_gateway.console("zhao").get("/console/").text
    for label in ("审核收件箱", "会话审核", "相似问题"):
        assert label in reviewer
    assert "审核收件箱" not in review_gateway.console("wang").get("/console/").text


# ------------------------------------------------------------------ the inbox


def test_the_inbox_never_shows_a_phone_or_id_number_unmasked(review_gateway):
    text = f"我的手机号是{PHONE}，身份证{ID_NUMBER}，保单{POLICY}，想预约瑞金医院"
    unplaced = {"entity": "policy_number", "value": POLICY}  # a rule's value, no offsets
    cid, (mid,) = conversation(review_gateway, said(text, "book_appointment", 0.21, [unplaced]))
    for user in ("zhao", "boss"):
        console = review_gateway.console(user)
        page = console.get("/console/review/inbox?unreviewed=0")
        assert f'id="m-{mid}"' in page.text
        assert "138****5678" in page.text and "110***********0025" in page.text
        assert "policy_number=ZAHM******0002" in page.text
        api = console.get("/console/api/review/inbox?unreviewed=0")
        fragment = console.get("/console/review/inbox?unreviewed=0&fragment=1&offset=0")
        for answer in (page, api, fragment):
            assert PHONE not in answer.text and ID_NUMBER not in answer.text
            assert POLICY not in answer.text
        assert any(i["message_id"] == mid for i in api.json()["items"])


def test_an_inbox_row_shows_the_count_the_top_3_intents_entities_and_the_conversation(
        review_gateway):
    text = "想约华山医院皮肤科看湿疹 row"
    hospital = {"entity": "hospital", "value": "华山医院", "start": 2, "end": 6,
                "extractor": "DIETClassifier"}
    conversation(review_gateway, said(text, "book_appointment", 0.33, [hospital]))
    cid, (mid,) = conversation(review_gateway, said(text, "book_appointment", 0.31, [hospital]))
    page = review_gateway.console("zhao").get(f"/console/review/inbox?message={mid}").text
    row = page[page.index(f'id="m-{mid}"'):]
    row = row[:row.index("</li>")]
    assert "×2" in row
    assert '<mark class="ent ent-hospital" title="医院">华山医院</mark>' in row
    assert "book_appointment 0.31" in row and "ask_claim 0.20" in row and "greet 0.10" in row
    assert "thank" not in row  # the top three only
    assert f'href="/console/conversations/{cid}"' in row
    assert "待审核" in row
    assert "显示原文" not in row  # a reviewer has no unmask button


def test_the_inbox_pages_by_50_and_gives_the_next_rows_from_an_offset(review_gateway):
    zhao = review_gateway.console("zhao")
    conversation(review_gateway, *[said(f"分页测试第{n}条消息", "ask_claim", 0.4)
                                   for n in range(60)], channel="paging")
    page = zhao.get("/console/review/inbox?channel=paging").text
    assert page.count('class="review-item"') == 50
    assert 'id="next-page"' in page and "page=2" in page
    more = zhao.get("/console/review/inbox?channel=paging&offset=50&fragment=1")
    assert more.text.count('class="review-item"') == 10
    assert more.headers["X-More"] == "0" and "<html" not in more.text


def test_a_bad_inbox_filter_is_explained(review_gateway):
    page = review_gateway.console("zhao").get("/console/review/inbox?below=2")
    assert page.status_code == 400 and "筛选条件无效" in page.text


# ------------------------------------------------------------------ decisions


def test_accept_relabel_refuse_an_unknown_intent_and_undo(review_gateway):
    _, (mid,) = conversation(review_gateway, said("门诊能直接刷卡吗 acc", "ask_direct_billing", 0.52))
    reviewer = new_user(review_gateway)
    accepted = decide(reviewer, mid, action="accept")
    assert accepted.status_code == 200
    assert accepted.json()["decision"]["action"] == "accept"
    assert accepted.json()["label"].startswith("采纳 ask_direct_billing")

    unknown = decide(reviewer, mid, action="relabel", intent="no_such_intent")
    assert unknown.status_code == 400
    assert unknown.json()["message"] == "没有这个意图，请从列表中选择。"
    assert audited(review_gateway, "review_relabel_refused", f"message:{mid}")

    relabelled = decide(reviewer, mid, action="relabel", intent="ask_direct_pay_card")
    assert relabelled.json()["decision"]["intent"] == "ask_direct_pay_card"
    undone = reviewer.post("/console/review/undo")
    assert undone.status_code == 200
    assert undone.json()["message_id"] == mid
    assert undone.json()["decision"]["action"] == "accept"  # the one before counts again
    assert undone.json()["message"].startswith("已撤销：改标 ask_direct_pay_card")
    actions = [(d.action, d.undone_at is not None)
               for d in rows(review_gateway, ReviewDecision, ReviewDecision.message_id == mid)]
    assert actions == [("accept", False), ("relabel", True)]
    assert reviewer.post("/console/review/undo").json()["decision"] is None
    nothing = reviewer.post("/console/review/undo")
    assert nothing.status_code == 409 and nothing.json()["message"] == "没有可撤销的标注。"


def test_entities_are_marked_on_the_masked_text_the_reviewer_sees(review_gateway):
    _, (mid,) = conversation(review_gateway, said("我叫陈静，想约瑞金医院心内科 ent", "book_appointment", 0.4))
    shown = "我叫陈*，想约瑞金医院心内科 ent"
    start = shown.index("瑞金医院")
    reviewer = new_user(review_gateway)
    answer = decide(reviewer, mid, action="relabel", intent="book_appointment", entities=[
        {"entity": "hospital", "start": start, "end": start + 4},
        {"entity": "department", "start": start + 4, "end": start + 7}])
    assert answer.status_code == 200
    decision = rows(review_gateway, ReviewDecision, ReviewDecision.message_id == mid)[-1]
    assert decision.text == "我叫张三，想约瑞金医院心内科 ent"
    assert [(e["entity"], e["value"]) for e in decision.entities] == \
        [("hospital", "瑞金医院"), ("department", "心内科")]
    bad = decide(reviewer, mid, action="accept", entities=[{"entity": "amount", "start": 0,
                                                            "end": 2}])
    assert bad.status_code == 400 and "实体标注无效" in bad.json()["message"]
    malformed = decide(reviewer, mid, action="accept", entities="[1, 2]")
    assert malformed.status_code == 400


def test_a_fallback_cannot_be_accepted(review_gateway):
    _, (mid,) = conversation(review_gateway, said("嗯嗯那个啥 fb", "nlu_fallback", 0.45))
    answer = decide(review_gateway.console("zhao"), mid, action="accept")
    assert answer.status_code == 400
    assert answer.json()["message"] == "智能助手没有识别这条消息，无法采纳，请改标意图。"


def test_decisions_and_undo_need_the_csrf_token(review_gateway):
    _, (mid,) = conversation(review_gateway, said("体检报告在哪里看 csrf"))
    reviewer = new_user(review_gateway)
    for token in ("", "forged"):
        assert reviewer.post(f"/console/review/messages/{mid}/decision",
                             {"action": "accept"}, csrf=token).status_code == 403
        assert reviewer.post("/console/review/undo", csrf=token).status_code == 403
        assert reviewer.post("/console/review/export", csrf=token).status_code == 403
        assert reviewer.post("/console/review/gate", csrf=token).status_code == 403
        assert reviewer.post(f"/console/review/messages/{mid}/unmask", {"reason": "x"},
                             csrf=token).status_code == 403
    assert rows(review_gateway, ReviewDecision, ReviewDecision.message_id == mid) == []
    assert reviewer.post(f"/console/review/messages/{mid}/decision",
                         {"action": "skip"}).json()["decision"]["action"] == "skip"


# ------------------------------------------------------------------ unmasking


def test_a_reviewer_cannot_unmask_and_the_attempt_is_audited(review_gateway):
    _, (mid,) = conversation(review_gateway, said(f"手机{PHONE}收不到验证码 um1"))
    answer = review_gateway.console("zhao").post(f"/console/review/messages/{mid}/unmask",
                                                 {"reason": "核对号码"})
    assert answer.status_code == 403
    assert answer.json()["message"] == "查看原文需要管理员权限。"
    assert PHONE not in answer.text
    assert audited(review_gateway, "unmask_refused", f"message:{mid}")


def test_an_admin_unmasks_one_message_with_a_reason_audited(review_gateway):
    text = f"手机{PHONE}收不到验证码 um2"
    _, (mid,) = conversation(review_gateway, said(text))
    boss = review_gateway.console("boss")
    page = boss.get(f"/console/review/inbox?message={mid}").text
    assert "显示原文" in page and PHONE not in page
    no_reason = boss.post(f"/console/review/messages/{mid}/unmask", {"reason": "  "})
    assert no_reason.status_code == 400
    assert no_reason.json()["message"] == "请填写查看原文的理由。"
    shown = boss.post(f"/console/review/messages/{mid}/unmask", {"reason": "会员来电核对号码"})
    assert shown.status_code == 200 and shown.json()["text"] == text
    assert shown.headers["Cache-Control"] == "private, no-store"
    entry, = audited(review_gateway, "unmask", f"message:{mid}")
    assert entry.detail["reason"] == "会员来电核对号码" and PHONE not in str(entry.detail)
    form = boss.post(f"/console/review/messages/{mid}/unmask", {"reason": "再看一次"},
                     as_json=False)
    assert form.status_code == 200 and text in form.text
    assert len(audited(review_gateway, "unmask", f"message:{mid}")) == 2


# ------------------------------------------------------------------ saved filters


def test_a_saved_inbox_filter_is_one_click_away(review_gateway):
    reviewer = new_user(review_gateway)
    query = {"unreviewed": False, "channel": "wechat", "period": "this_week"}
    saved = reviewer.post("/console/review/filters", {"view": "inbox", "name": "本周微信",
                                                      "query": json.dumps(query)}, as_json=False)
    assert saved.status_code == 303
    assert saved.headers["Location"].startswith("/console/review/inbox?")
    assert "channel=wechat" in saved.headers["Location"]
    page = reviewer.get(saved.headers["Location"]).text
    assert "筛选已保存" in page
    link = re.search(r'<a href="(/console/review/inbox\?[^"]+)">本周微信</a>', page)
    assert link and "period=this_week" in link[1] and "unreviewed=0" in link[1]
    assert 'option value="wechat" selected' in reviewer.get(link[1].replace("&amp;", "&")).text
    # another reviewer does not see it
    assert "本周微信" not in review_gateway.console("zhao").get("/console/review/inbox").text

    bad = reviewer.post("/console/review/filters", {"view": "inbox", "name": "坏的",
                                                    "query": json.dumps({"below": 3})})
    assert bad.status_code == 400 and bad.json()["message"].startswith("筛选条件无效")
    filter_id = re.search(r'class="saved" data-id="(\d+)"', page)[1]
    gone = reviewer.post(f"/console/review/filters/{filter_id}/delete", {"view": "inbox"})
    assert gone.json()["ok"]
    assert "本周微信" not in reviewer.get("/console/review/inbox").text


def test_a_saved_conversations_filter(review_gateway):
    reviewer = new_user(review_gateway)
    answer = reviewer.post("/console/review/filters", {
        "view": "conversations", "name": "未理解的微信",
        "query": json.dumps({"fallback": True, "channel": "wechat"})})
    assert answer.json()["filter"]["query"] == {"fallback": True, "channel": "wechat"}
    page = reviewer.get("/console/review/conversations").text
    assert "未理解的微信" in page and "fallback=1" in page


# ------------------------------------------------------------------ conversations and tags


def test_the_conversations_list_filters_and_links_each_conversation(review_gateway):
    fallback, _ = conversation(review_gateway, said("这个那个怎么弄 conv", "nlu_fallback", 0.45),
                               channel="convtest")
    fine, _ = conversation(review_gateway, said("你好呀 conv", "greet", 0.98), channel="convtest")
    zhao = review_gateway.console("zhao")
    page = zhao.get("/console/review/conversations?channel=convtest&fallback=1").text
    assert f'href="/console/conversations/{fallback}"' in page
    assert f'href="/console/conversations/{fine}"' not in page
    both = zhao.get("/console/review/conversations?channel=convtest").text
    assert both.index(f'data-id="{fallback}"') < both.index(f'data-id="{fine}"')  # needs a look
    assert zhao.get("/console/review/conversations?reviewed=maybe").status_code == 400


def test_tags_are_added_and_removed_and_filter_the_list(review_gateway):
    cid, _ = conversation(review_gateway, said("药费能报多少 tag"), channel="tagtest")
    zhao = review_gateway.console("zhao")
    added = zhao.post(f"/console/review/conversations/{cid}/tags", {"tag": "缺意图"})
    assert added.json()["tags"] == ["缺意图"]
    assert audited(review_gateway, "review_tag", f"conversation:{cid}")
    listed = zhao.get("/console/review/conversations?tags=缺意图").text
    assert f'href="/console/conversations/{cid}"' in listed
    too_long = zhao.post(f"/console/review/conversations/{cid}/tags", {"tag": "长" * 41})
    assert too_long.status_code == 400 and too_long.json()["message"] == "标签需为1到40个字。"
    back = "/console/review/conversations?channel=tagtest"
    removed = zhao.post(f"/console/review/conversations/{cid}/tags/remove",
                        {"tag": "缺意图", "back": back}, as_json=False)
    assert removed.status_code == 303 and removed.headers["Location"].startswith(back)
    assert f'href="/console/conversations/{cid}"' not in \
        zhao.get("/console/review/conversations?tags=缺意图").text
    elsewhere = zhao.post(f"/console/review/conversations/{cid}/tags",
                          {"tag": "x", "back": "https://evil.example/"}, as_json=False)
    assert elsewhere.headers["Location"].startswith("/console/review/conversations")


# ------------------------------------------------------------------ stories and FAQ


def bot_reply(rg: ReviewGateway, conversation_id: int, text: str) -> None:
    db = Database.from_url(rg.gateway.db_url)
    try:
        with db.writing() as session:
            session.add(Message(conversation_id=conversation_id, direction="out", author="bot",
                                text=text, created_at=NOW))
    finally:
        db.engine.dispose()


def test_a_reviewed_conversation_is_saved_as_a_test_story_in_one_click(review_gateway):
    import yaml
    domain = yaml.safe_load((ROOT / "domain" / "shared.yml").read_text("utf-8"))
    answer = domain["responses"]["utter_direct_billing"][0]["text"]
    cid, _ = conversation(review_gateway, said("直付是什么意思", confidence=0.97))
    bot_reply(review_gateway, cid, answer)
    zhao = review_gateway.console("zhao")
    saved = zhao.post(f"/console/review/conversations/{cid}/story")
    assert saved.status_code == 200 and saved.json()["file"] == f"reviewed_{cid}.yml"
    story = (review_gateway.data_dir / "stories" / f"reviewed_{cid}.yml").read_text("utf-8")
    assert "ask_direct_billing" in story and "utter_direct_billing" in story
    assert audited(review_gateway, "review_story_saved", f"conversation:{cid}")
    odd, _ = conversation(review_gateway, said("你好", intent="greet", confidence=0.9))
    bot_reply(review_gateway, odd, "这句话不在任何回复模板里")
    refused = zhao.post(f"/console/review/conversations/{odd}/story")
    assert refused.status_code == 409 and "不能保存" in refused.json()["message"]
    assert review_gateway.console("wang").post(
        f"/console/review/conversations/{cid}/story").status_code == 403


def test_the_faq_candidates_page_is_for_reviewers(review_gateway):
    page = review_gateway.console("zhao").get("/console/review/faq")
    assert page.status_code == 200 and "常见问题候选" in page.text
    assert review_gateway.console("wang").get("/console/review/faq").status_code == 403


# ------------------------------------------------------------------ clusters


def test_clusters_group_similar_unrecognised_messages(review_gateway):
    ids = conversation(review_gateway, *[said(t, "nlu_fallback", 0.45) for t in (
        "发票怎么开", "能开发票吗", "怎么开发票呀", "电子发票怎么开")])[1]
    zhao = review_gateway.console("zhao")
    page = zhao.get("/console/review/clusters").text
    card = next(c for c in page.split('<section class="card cluster">') if "能开发票吗" in c)
    assert "发票怎么开" in card and "怎么开发票呀" in card and "4 种说法" in card
    assert f"/console/review/inbox?message={ids[1]}" in card \
        or f"message={ids[1]}&amp;unreviewed=0" in card
    linked = zhao.get(f"/console/review/inbox?message={ids[1]}&unreviewed=0").text
    assert linked.count('class="review-item"') == 1 and "能开发票吗" in linked
    assert zhao.get("/console/review/clusters?similarity=7").status_code == 400


# ------------------------------------------------------------------ export


def test_export_previews_then_writes_into_the_data_dir_and_undo_is_refused(review_gateway):
    project_file = ROOT / "data" / "nlu" / "reviewed.yml"
    project_before = project_file.read_text(encoding="utf-8") if project_file.exists() else None
    text = f"我的电话是{PHONE}，住院押金能直付吗"
    _, (mid, hello) = conversation(review_gateway, said(text, "ask_claim", 0.3),
                                   said("你好", "greet", 0.3))
    reviewer = new_user(review_gateway)
    assert decide(reviewer, mid, action="relabel", intent="ask_direct_billing").json()["ok"]
    assert decide(reviewer, hello, action="relabel", intent="thank").json()["ok"]

    preview = reviewer.get("/console/review/export").text
    masked = "我的电话是13800000000，住院押金能直付吗"
    assert masked in preview and PHONE not in preview
    conflict = preview[preview.index("冲突（"):]
    assert "你好" in conflict and "thank" in conflict and "greet" in conflict
    assert "nlu/general.yml" in conflict
    assert not review_gateway.reviewed.exists() or masked not in \
        review_gateway.reviewed.read_text(encoding="utf-8")

    done = reviewer.post("/console/review/export")
    assert done.status_code == 200
    report = done.json()["report"]
    assert any(w["text"] == masked for w in report["written"])
    written = yaml.safe_load(review_gateway.reviewed.read_text(encoding="utf-8"))
    examples = {b["intent"]: b["examples"] for b in written["nlu"]}
    assert f"- {masked}" in examples["ask_direct_billing"]
    assert PHONE not in review_gateway.reviewed.read_text(encoding="utf-8")
    after = project_file.read_text(encoding="utf-8") if project_file.exists() else None
    assert after == project_before  # the project's data/ is untouched

    refused = reviewer.post("/console/review/undo")  # the relabel of 你好: still pending
    assert refused.json()["ok"]
    exported = reviewer.post("/console/review/undo")
    assert exported.status_code == 409
    assert exported.json()["message"] == "这条标注已导出为训练数据，不能撤销。"
    page = reviewer.get("/console/review/export").text
    assert f"#{report['export_id']}" in page and "已写入，待把关" in page
    assert "python -m bot.review gate" in page
    assert 'action="/console/review/gate"' in page  # the gate's button (not run here: minutes)
    assert audited(review_gateway, "review_export", f"export:{report['export_id']}")
