"""Tests for bot/redflags.py: the independent emergency check that forces the
"call 120 / nearest emergency department" answer.

A missed emergency is the worst failure; false alarms on clearly non-urgent messages
(history, hyperbole, screenings, insurance questions, negations, news) must not happen either.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import List, Tuple

import pytest

from bot.redflags import Category, RedFlag, detect

C = Category

# (message, expected category, expected self_harm)
EMERGENCIES: List[Tuple[str, Category, bool]] = [
    # ---- chest pain / heart attack
    ("胸口疼得厉害", C.CHEST_PAIN, False),
    ("胸口像压了块石头", C.CHEST_PAIN, False),
    ("胸闷出冷汗", C.CHEST_PAIN, False),
    ("我爸胸口疼 出了一身冷汗", C.CHEST_PAIN, False),
    ("老妈说心口疼 左胳膊也麻", C.CHEST_PAIN, False),
    ("胸口压着喘不过气", C.CHEST_PAIN, False),
    ("突然胸闷得厉害", C.CHEST_PAIN, False),
    ("胸口堵得慌 出冷汗", C.CHEST_PAIN, False),
    ("心梗", C.CHEST_PAIN, False),
    ("心梗又犯了", C.CHEST_PAIN, False),
    ("急性心梗", C.CHEST_PAIN, False),
    ("心肌梗死", C.CHEST_PAIN, False),
    ("我老公好像心脏病发作了", C.CHEST_PAIN, False),
    ("有没有可能是心梗 胸口疼", C.CHEST_PAIN, False),
    ("chest pain", C.CHEST_PAIN, False),
    # ---- cardiac arrest
    ("心脏骤停", C.CARDIAC_ARREST, False),
    ("我爸倒地没有心跳了", C.CARDIAC_ARREST, False),
    ("人没气了", C.CARDIAC_ARREST, False),
    ("摸不到脉搏", C.CARDIAC_ARREST, False),
    ("正在做心肺复苏", C.CARDIAC_ARREST, False),
    ("孩子没有呼吸了", C.CARDIAC_ARREST, False),
    ("他没有呼吸", C.CARDIAC_ARREST, False),
    # ---- breathing
    ("喘不上气", C.BREATHING, False),
    ("呼吸困难", C.BREATHING, False),
    ("憋得脸发紫", C.BREATHING, False),
    ("孩子嘴唇发紫 喘不过气", C.BREATHING, False),
    ("我喘不过气来", C.BREATHING, False),
    ("上不来气了", C.BREATHING, False),
    ("老人呼吸急促", C.BREATHING, False),
    ("哮喘发作了 喷药没用", C.BREATHING, False),
    ("我快憋死了", C.BREATHING, False),
    ("宝宝脸都青了", C.BREATHING, False),
    ("I can't breathe", C.BREATHING, False),
    # ---- unconscious
    ("怎么叫都没反应", C.UNCONSCIOUS, False),
    ("叫不醒", C.UNCONSCIOUS, False),
    ("晕过去了", C.UNCONSCIOUS, False),
    ("昏迷", C.UNCONSCIOUS, False),
    ("急！老婆晕倒了叫不醒", C.UNCONSCIOUS, False),
    ("同事突然晕倒在地", C.UNCONSCIOUS, False),
    ("奶奶叫不应了", C.UNCONSCIOUS, False),
    ("我妈一直昏睡叫不醒", C.UNCONSCIOUS, False),
    ("爸爸失去意识了", C.UNCONSCIOUS, False),
    ("老公休克了", C.UNCONSCIOUS, False),
    ("低血糖晕过去了", C.UNCONSCIOUS, False),
    ("中暑昏迷了", C.UNCONSCIOUS, False),
    ("刚才晕倒了 现在醒了", C.UNCONSCIOUS, False),
    ("我爸喝了好多酒又吃了安眠药 叫不醒", C.UNCONSCIOUS, False),
    # ---- stroke
    ("说话不利索", C.STROKE, False),
    ("嘴歪了", C.STROKE, False),
    ("半边身子没劲", C.STROKE, False),
    ("一侧手脚发麻", C.STROKE, False),
    ("突然看不清", C.STROKE, False),
    ("脑梗", C.STROKE, False),
    ("中风", C.STROKE, False),
    ("我爸突然说话不利索 半边身子没劲 怎么办！！", C.STROKE, False),
    ("我爸嘴巴歪了 口水流出来", C.STROKE, False),
    ("外婆右边身子动不了", C.STROKE, False),
    ("左手左脚都没劲了", C.STROKE, False),
    ("突然一只眼睛看不见了", C.STROKE, False),
    ("突然头痛欲裂", C.STROKE, False),
    ("奶奶突然说不出话了", C.STROKE, False),
    ("爷爷突然走路不稳 站不起来", C.STROKE, False),
    ("我妈可能脑梗了", C.STROKE, False),
    ("是不是中风了", C.STROKE, False),
    ("不知道是不是中风", C.STROKE, False),
    ("会不会是中风啊 我爸嘴歪了", C.STROKE, False),
    ("脑出血了", C.STROKE, False),
    ("脑溢血", C.STROKE, False),
    ("去年中风过 现在又中风了", C.STROKE, False),
    # ---- seizure
    ("抽搐", C.SEIZURE, False),
    ("抽风", C.SEIZURE, False),
    ("口吐白沫", C.SEIZURE, False),
    ("孩子高烧抽搐", C.SEIZURE, False),
    ("孩子抽风了", C.SEIZURE, False),
    ("宝宝高热惊厥", C.SEIZURE, False),
    ("老公癫痫发作了", C.SEIZURE, False),
    ("浑身抽搐", C.SEIZURE, False),
    ("孩子发烧抽筋了", C.SEIZURE, False),
    ("刚才抽搐过一次", C.SEIZURE, False),
    ("以前有过癫痫 今天又抽搐了", C.SEIZURE, False),
    # ---- anaphylaxis
    ("喉咙肿了喘不过气", C.ANAPHYLAXIS, False),
    ("全身起疹子呼吸困难", C.ANAPHYLAXIS, False),
    ("过敏性休克", C.ANAPHYLAXIS, False),
    ("吃了海鲜过敏 嗓子发紧 喘不上", C.ANAPHYLAXIS, False),
    ("打了青霉素全身起疹子 头晕", C.ANAPHYLAXIS, False),
    ("嘴唇肿了喘不上来", C.ANAPHYLAXIS, False),
    ("被蜜蜂蛰了 全身肿 喘不上气", C.ANAPHYLAXIS, False),
    # ---- injury
    ("被车撞了", C.INJURY, False),
    ("从楼上摔下来", C.INJURY, False),
    ("被狗咬了伤口很深", C.INJURY, False),
    ("出车祸了", C.INJURY, False),
    ("孩子从三楼掉下来了", C.INJURY, False),
    ("老人从楼梯上摔下来了", C.INJURY, False),
    ("摔到头了 一直吐", C.INJURY, False),
    ("头被砸了 现在迷迷糊糊", C.INJURY, False),
    ("腿断了 骨头都露出来了", C.INJURY, False),
    ("被人砍伤了", C.INJURY, False),
    ("被蛇咬了", C.INJURY, False),
    ("手指被机器切断了", C.INJURY, False),
    ("被电瓶车撞倒了", C.INJURY, False),
    ("被狗咬了 流了好多血", C.INJURY, False),
    # ---- poisoning / overdose
    ("喝了农药", C.POISONING, True),       # a dose taken on purpose, by the writer
    ("吃了一整瓶药", C.POISONING, True),       # a dose taken on purpose, by the writer
    ("把一瓶安眠药都吃了", C.POISONING, True),       # a dose taken on purpose, by the writer
    ("煤气中毒", C.POISONING, False),
    ("一氧化碳", C.POISONING, False),
    ("我爸喝了敌敌畏", C.POISONING, False),
    ("孩子误食了老鼠药", C.POISONING, False),
    ("吃了半瓶安眠药", C.POISONING, True),       # a dose taken on purpose, by the writer
    ("一次吃了三十片安眠药", C.POISONING, True),       # a dose taken on purpose, by the writer
    ("我妈把一盒降压药全吃了", C.POISONING, False),
    ("家里煤气泄漏 人都晕了", C.POISONING, False),
    ("一氧化碳中毒了", C.POISONING, False),
    ("吃了毒蘑菇", C.POISONING, False),
    ("喝了84消毒液", C.POISONING, False),
    ("孩子吃错药了", C.POISONING, False),
    ("吃了一整瓶安眠药不想活了", C.POISONING, True),
    ("我不想活了 吃了一整瓶安眠药", C.POISONING, True),
    ("不小心把一板安眠药都吃了", C.POISONING, False),   # an accident
    ("老人糊涂了 把一盒降压药都吃了", C.POISONING, False),
    # ---- self-harm
    ("割腕", C.SELF_HARM, True),
    ("不想活了", C.SELF_HARM, True),
    ("想死", C.SELF_HARM, True),
    ("活着没意思", C.SELF_HARM, True),
    ("想自杀", C.SELF_HARM, True),
    ("我要跳楼", C.SELF_HARM, True),
    ("我想结束自己的生命", C.SELF_HARM, True),
    ("活着没什么意思", C.SELF_HARM, True),
    ("死了算了", C.SELF_HARM, True),
    ("我想轻生", C.SELF_HARM, True),
    ("我不想活下去了", C.SELF_HARM, True),
    ("我已经写好遗书了", C.SELF_HARM, True),
    ("我准备吃药自杀", C.SELF_HARM, True),
    ("我刚刚划了自己好几刀", C.SELF_HARM, True),
    ("想死的心都有了", C.SELF_HARM, True),
    ("I want to kill myself", C.SELF_HARM, True),
    ("我割腕了 血止不住", C.BLEEDING, True),
    # ---- bleeding
    ("吐血", C.BLEEDING, False),
    ("咳血", C.BLEEDING, False),
    ("拉黑便", C.BLEEDING, False),
    ("血止不住", C.BLEEDING, False),
    ("流了好多血", C.BLEEDING, False),
    ("大出血", C.BLEEDING, False),
    ("昨天开始一直吐血", C.BLEEDING, False),
    ("大口吐血", C.BLEEDING, False),
    ("吐了好多血", C.BLEEDING, False),
    ("咳出一大口血", C.BLEEDING, False),
    ("大便全是血", C.BLEEDING, False),
    ("拉的大便是黑色的", C.BLEEDING, False),
    ("血一直往外冒", C.BLEEDING, False),
    ("伤口喷血", C.BLEEDING, False),
    ("流鼻血止不住", C.BLEEDING, False),
    # ---- burns
    ("烫伤一大片", C.BURN, False),
    ("孩子被开水烫了一大片", C.BURN, False),
    ("厨房着火了", C.BURN, False),
    ("脸被热油烫伤了 起了大泡", C.BURN, False),
    ("硫酸溅到眼睛里了", C.BURN, False),
    ("全身烧伤", C.BURN, False),
    # ---- choking
    ("孩子吞了硬币卡住了", C.CHOKING, False),
    ("孩子被果冻噎住了", C.CHOKING, False),
    ("老人吃汤圆卡在喉咙了", C.CHOKING, False),
    ("异物卡住气管", C.CHOKING, False),
    ("宝宝吞了纽扣电池", C.CHOKING, False),
    ("鱼刺卡住嗓子 喘不了气 脸都憋红了", C.BREATHING, False),
    # ---- drowning
    ("溺水", C.DROWNING, False),
    ("孩子掉进河里了", C.DROWNING, False),
    ("我儿子溺水了", C.DROWNING, False),
    ("游泳的时候呛水 没反应了", C.DROWNING, False),
    # ---- electric shock
    ("被电了", C.ELECTRIC_SHOCK, False),
    ("我老公触电了", C.ELECTRIC_SHOCK, False),
    ("孩子摸插座被电到了", C.ELECTRIC_SHOCK, False),
    ("被雷劈了", C.ELECTRIC_SHOCK, False),
    # ---- pregnancy
    ("羊水破了", C.PREGNANCY, False),
    ("孕妇大出血", C.PREGNANCY, False),
    ("怀孕五个月 流了好多血", C.PREGNANCY, False),
    ("怀孕八周 下面出血", C.PREGNANCY, False),
    ("胎动消失了", C.PREGNANCY, False),
    ("宫外孕破裂", C.PREGNANCY, False),
    # ---- high fever / infants
    ("孩子高烧41度", C.HIGH_FEVER, False),
    ("新生儿发烧", C.HIGH_FEVER, False),
    ("两个月宝宝发烧38度", C.HIGH_FEVER, False),
    # ---- general
    ("救命", C.GENERAL, False),
    ("救命！！！", C.GENERAL, False),
    ("快不行了", C.GENERAL, False),
    ("救救我", C.GENERAL, False),
    ("我爸快不行了", C.GENERAL, False),
    ("出事了 快来人", C.GENERAL, False),
    ("快叫救护车", C.GENERAL, False),
    ("赶紧打120", C.GENERAL, False),
    ("肚子疼得在地上打滚", C.GENERAL, False),
    # ---- present symptoms win over past history, negation and admin elsewhere
    ("我现在又胸痛了 之前心梗过", C.CHEST_PAIN, False),
    ("之前心梗过胸口疼得厉害", C.CHEST_PAIN, False),
    ("没有胸痛 但是喘不上气", C.BREATHING, False),
    ("我爸心梗了 住院要预授权吗", C.CHEST_PAIN, False),
    ("我爸突然吐血是什么原因", C.BLEEDING, False),
    ("以前有过癫痫 现在又犯了 抽个不停", C.SEIZURE, False),
    ("以前得过心梗 现在胸口又疼了", C.CHEST_PAIN, False),
    ("我已经好了 但是我爸晕倒了", C.UNCONSCIOUS, False),
    ("人都晕过去了 快来", C.UNCONSCIOUS, False),
    ("看了新闻 我也想死", C.SELF_HARM, True),
    ("孩子把药当糖吃了", C.POISONING, False),
    ("孩子吃了爷爷的降压药", C.POISONING, False),
    ("吐出来的全是血", C.BLEEDING, False),
    ("我不行了 救我", C.GENERAL, False),
    ("heat stroke", C.HIGH_FEVER, False),
    # ---- lay words (issue 12)
    ("奶奶半边脸塌下来了", C.STROKE, False),
    ("老伴突然话都听不懂了", C.STROKE, False),
    ("胸口闷 都半小时了 一头冷汗", C.CHEST_PAIN, False),
    ("后背撕裂一样的痛", C.CHEST_PAIN, False),
    ("胸口疼 一直串到左胳膊", C.CHEST_PAIN, False),
    ("心跳快得不行 眼前发黑", C.CHEST_PAIN, False),
    ("我妈坐着都喘 一句话说不完", C.BREATHING, False),
    ("宝宝睡觉呼吸会停好几秒 脸发白", C.BREATHING, False),
    ("奶奶晕在卫生间了", C.UNCONSCIOUS, False),
    ("叫她也不答应 眼睛半睁着", C.UNCONSCIOUS, False),
    ("孩子软绵绵的 叫不醒", C.UNCONSCIOUS, False),
    ("摔了一跤以后一直说胡话", C.UNCONSCIOUS, False),
    ("瞳孔一大一小", C.UNCONSCIOUS, False),
    ("他在地上抽 口水都出来了", C.SEIZURE, False),
    ("纱布都湿透了 血还在往外渗", C.BLEEDING, False),
    ("吃了虾以后嘴唇肿起来了", C.ANAPHYLAXIS, False),
    ("我爸吃了自己采的蘑菇 现在肚子疼", C.POISONING, False),
    ("在浴室晕倒了 燃气热水器一直开着", C.POISONING, False),
    ("孩子在游泳池呛了好几口水 一直咳", C.DROWNING, False),
    ("油锅翻了 泼到腿上 一大片起泡", C.BURN, False),
    ("怀孕十周 下腹一阵剧痛", C.PREGNANCY, False),
    ("发烧三天了 脖子发僵", C.HIGH_FEVER, False),
    ("孩子吐了一天 眼窝都陷下去了", C.GENERAL, False),
    ("打了胰岛素还没吃饭 现在浑身出汗 手抖", C.GENERAL, False),
    # ---- context in another clause (requires=), lay words
    ("老伴高血压 刚才突然右边嘴角往下耷拉", C.STROKE, False),
    ("外公说左边眼睛像拉了个帘子 什么都看不见", C.STROKE, False),
    ("头疼 这辈子都没这么疼过", C.STROKE, False),
    ("含了硝酸甘油 还是不缓解", C.CHEST_PAIN, False),
    ("孕30周，头很疼，看东西模模糊糊", C.PREGNANCY, False),
    ("生完孩子一周，下面一直往外流，垫子湿透了", C.PREGNANCY, False),
    ("宝宝一个多月，摸着很烫", C.HIGH_FEVER, False),
    ("发烧两天了，腿上起了些紫色的点点，按了不褪色", C.HIGH_FEVER, False),
    ("孩子在河边玩掉下去了，拉上来不哭也不动", C.DROWNING, False),
    ("吃了芒果，嗓子发紧", C.ANAPHYLAXIS, False),
    ("他头磕到桌角了，现在老想睡", C.INJURY, False),
    ("孩子把纽扣电池咽下去了", C.POISONING, False),
    ("老妈躺在卫生间地上 叫她只会哼", C.UNCONSCIOUS, False),
    ("我在天台上 想跟你们说再见", C.SELF_HARM, True),
    ("药我都攒够了 不想再拖累家里", C.SELF_HARM, True),
    ("儿子说蛋蛋突然疼得厉害", C.GENERAL, False),
    ("哮喘又犯了，喷了两次药都不管用", C.BREATHING, False),
    ("偶尔胸口疼 现在又疼得厉害 出冷汗", C.CHEST_PAIN, False),    # the habit, then now
    ("有偏头痛 但这次突然头疼欲裂", C.STROKE, False),             # new for a migraine
    ("奶奶说肚子不舒服，一身冷汗，脸色灰白", C.GENERAL, False),   # cold sweat and a grey face
]

TYPOS: List[Tuple[str, Category]] = [
    ("昏谜了", C.UNCONSCIOUS),
    ("晕到了", C.UNCONSCIOUS),
    ("胸囗疼", C.CHEST_PAIN),
    ("呼吸困唯", C.BREATHING),
    ("中疯了", C.STROKE),
    ("抽蓄了", C.SEIZURE),
    ("喝了农要", C.POISONING),
    ("我爸暈倒了", C.UNCONSCIOUS),       # traditional characters
    ("喘不過氣", C.BREATHING),
    ("孩纸抽搐了", C.SEIZURE),
]

# Not emergencies, grouped by why.
# Issue 12: first aid as knowledge, hyperbole, minor injuries, pets, dreams, a checked
# fainting, a chronic confusion.
ISSUE_12 = [
    "过敏性休克怎么急救",
    "哮喘发作的时候能用什么药",
    "心肺复苏按多少下",
    "怎么区分心绞痛和胃痛",
    "救护车把人送到的医院不在网络内能直付吗",
    "吃安眠药过量会怎么样",
    "今天写报告写到吐血",
    "开会开得我快窒息了",
    "手指被刀划了个口子 血已经止住了",
    "身上起了风团 很痒 呼吸正常",
    "被蜜蜂蛰了手背 肿了一块",
    "嗓子疼得厉害 说话含糊不清",
    "我家猫吃了老鼠药怎么办",
    "梦见我爸中风了 吓醒了",
    "爷爷老年痴呆 最近认不出人了",
    "我妈昨天晕倒了 医院查了没事 今天挺好",
    "上周胸痛去查了冠脉 说没问题",
    "听说中风前会手麻 真的吗",
    "血糖低到多少会晕倒",
    "心梗的时候是不是要含硝酸甘油",
    "溶栓的时间窗是几个小时",
    "写作业写到我快脑溢血了",
    "这操作 尬到窒息",
    "救命 小程序登录不上",
    "我没想过伤害自己 就是压力大",
    "心肺复苏培训在哪报名",
    "公司前台有台AED",
    "年轻人熬夜容易猝死吗",
    "孩子怀孕八周了 问下产检能直付吗",
    "宝宝两岁三个月 发烧38度",
    "胸痛一般去哪个科看",
    "我每次抽血都会晕过去 体检要注意啥",      # habit, not an event
    "一紧张就胸口疼 是心脏的问题吗",
    "偶尔喘不上气 几秒钟就好",
    "偏头痛老毛病了 今天又头疼欲裂",           # a known migraine's usual attack
    "吃鱼卡了根鱼刺 吞饭也下不去 呼吸正常",     # a fish bone: a visit today
    "脚踢到桌腿 肿了 会不会骨折了",             # asking whether: a visit today
    "低血糖出冷汗 脸色发白 吃了块糖就好了",      # over by now
]

PAST_HISTORY = [
    "去年中风过现在想约复查",
    "我爸之前心梗装过支架想预约复诊",
    "上个月吐过血已经好了要复查胃镜",
    "以前有过癫痫 现在想开药",
    "孩子上次高烧抽搐去急诊 发票丢了还能报吗",
    "我爸中风三年了 想找康复医院",
    "我妈脑梗十几年了 想开药",
    "我有癫痫病史 能买吗",
    "去年骨折过 现在想复查",
    "之前出过车祸 想做个康复",
    "骨折了能报销吗 去年的事了",
    "我妈中风后半边身子没劲 想问康复能报销吗",
    "体检报告显示有陈旧性脑梗",
    "我想预约心内科 之前有心绞痛",
]
HYPERBOLE = [
    "疼死了",
    "牙疼死了 想约口腔科",
    "累死了",
    "笑死",
    "气死我了",
    "烦死了",
    "急死了 预约怎么还没好",
    "等得要晕了",
    "心累",
    "要命的贵",
    "想死你了",
    "想死你们了",
    "笑死我了",
    "这个价格我要吐血了",
    "气得吐血",
    "吐血推荐这家医院",
    "跳楼价清仓",
    "饿得快死了",
    "累得我快不行了",
    "笑得喘不上气",
    "哈哈哈救命 太好笑了",
    "烦得我头疼欲裂",
    "气得说不出话",
    "感动得说不出话",
    "我晕 怎么又要交材料",
    "把我绕晕了",
    "令人窒息的操作",
    "触电般的感觉",
    "心疼我的钱",
    "救命钱什么时候到账",
    "你吃错药了吧",
    "你们客服是不是吃错药了",
    "这个结果让我窒息",
    "看到账单我都要晕倒了",
]
SCREENING_AND_CHECKS = [
    "卒中筛查",
    "心脏彩超",
    "想做个心脏检查",
    "脑卒中风险评估",
    "过敏原检测",
    "胸片",
    "肺功能检查",
    "心梗三项多少钱",
    "心电图有点异常 要复查吗",
    "偶尔胸闷 想做个心电图",
]
ADMIN_AND_KNOWLEDGE = [
    "心梗住院要预授权吗",
    "中风的康复治疗能直付吗",
    "化疗需要预授权吗",
    "抽血检查要空腹吗",
    "出血热疫苗",
    "吐血是什么原因引起的",
    "怎么预防中风",
    "怎么预防心梗",
    "中风有什么前兆",
    "心梗的症状有哪些",
    "什么人容易中风",
    "脑卒中是什么",
    "黑便是什么原因",
    "高血压会引起脑出血吗",
    "脑梗后遗症的康复治疗能报吗",
    "心脏搭桥手术能直付吗",
    "脑出血手术费用多少",
    "胃出血住院能直付吗",
    "癫痫病人能投保吗",
    "骨折手术能直付吗",
    "车祸理赔需要什么材料",
    "溺水险怎么买",
    "烫伤膏哪里买",
    "烧伤科哪个医院好",
    "120救护车的费用能报销吗",
    "学心肺复苏去哪里报名",
    "急救箱里放什么药",
    "自杀免责条款是什么意思",
    "被狗咬了要打狂犬疫苗吗",
    "中风险地区能去吗",
    "休克疗法是什么",
    "晕车药能报销吗",
    "一氧化碳报警器在哪买",
    "癫痫的药能报吗",
    "产后出血住院能报吗",
    "孩子抽搐住院了 能直付吗",
    "心梗 早就好了 想问能不能投保",
    "紧急情况怎么联系管家",
    "我们的保险有sos救援服务吗",
    "防溺水安全教育",
]
HYPOTHETICAL = [
    "万一中风了能赔吗",
    "如果心梗了怎么办",
    "要是孩子溺水了能赔吗",
    "万一出车祸了能赔吗",
]
NEGATED = [
    "没有胸痛",
    "不胸闷",
    "没有呼吸困难 只是咳嗽",
    "没有胸闷胸痛 就是咳嗽",
    "没有胸痛、呼吸困难",
    "我没有呼吸困难",
    "没有抽搐 就是发烧",
    "否认胸痛",
    "胸痛倒是没有 就是有点咳嗽",
    "也没有吐血",
    "排除了心梗",
    "医生说不是中风",
    "没有自杀倾向",
    "我不想死 我想好好活着",
]
NEWS_AND_HEARSAY = [
    "新闻说有人喝农药",
    "新闻里说有人跳楼了",
    "电视剧里有人割腕",
    "据说有人吃了毒蘑菇",
    "新闻里说有人不想活了",
]
EVERYDAY_AND_NON_URGENT = [
    "你好，我想预约下周三的皮肤科",
    "直付怎么用",
    "我爸心脏不好 能投保吗",
    "我妈有糖尿病 血糖有点低 头晕",
    "宝宝发烧38度5 要去医院吗",
    "孩子咳嗽有痰 想挂呼吸科",
    "咳嗽咳出血丝 想约呼吸科",
    "大便有点血 可能是痔疮",
    "手割破了 流了点血",
    "头有点晕 想挂号",
    "胸闷气短好几年了 想约心内科",
    "字太小看不清",
    "这个页面卡住了",
    "系统抽风了",
    "点了半天没反应",
    "客服说话不清楚 听不懂",
    "两岁孩子说话不清楚挂什么科",
    "手机掉水里了",
    "被鱼刺卡了 挂什么科",
    "吃了一盒药还没好 想复诊",
    "把他拉黑了",
    "游戏中毒了",
    "宝宝吐奶正常吗",
    "煤气费怎么交",
    "我吃了一盒感冒药 好多了",
    "嗓子哑了说不出话",
    "打完疫苗一点反应都没有",
    "花粉过敏 有点头晕",
    "孕早期嗜睡正常吗",
    "脚趾没有知觉",
    "孩子发烧到40度了 怎么办",
    "宝宝三个月 打疫苗后发烧了",
]

NOT_EMERGENCIES = [
    pytest.param(text, id=f"{group}:{text}")
    for group, texts in [
        ("past", PAST_HISTORY),
        ("hyperbole", HYPERBOLE),
        ("screening", SCREENING_AND_CHECKS),
        ("admin", ADMIN_AND_KNOWLEDGE),
        ("hypothetical", HYPOTHETICAL),
        ("negated", NEGATED),
        ("news", NEWS_AND_HEARSAY),
        ("everyday", EVERYDAY_AND_NON_URGENT),
        ("issue12", ISSUE_12),
    ]
    for text in texts
]


def _ids(rows):
    return [row[0] for row in rows]


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,category,self_harm", EMERGENCIES, ids=_ids(EMERGENCIES))
def test_emergency_is_detected_with_its_category_and_self_harm_flag(text, category, self_harm):
    flag = detect(text)
    assert flag is not None, text
    assert flag.category is category
    assert flag.self_harm is self_harm


@pytest.mark.parametrize("text,category", TYPOS, ids=_ids(TYPOS))
def test_common_typos_and_traditional_characters_are_detected(text, category):
    flag = detect(text)
    assert flag is not None and flag.category is category


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_non_urgent_message_is_not_flagged(text):
    assert detect(text) is None


def test_tables_are_big_enough():
    assert len(EMERGENCIES) + len(TYPOS) >= 120
    assert len(NOT_EMERGENCIES) >= 80
    assert {c for _, c, _ in EMERGENCIES} == set(Category)


# ---------------------------------------------------------------------------------------
# Self-harm
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["想死", "不想活了", "活着没意思", "想自杀", "割腕", "跳楼",
                                  "吃药自杀", "结束生命", "轻生", "我真的撑不住了 今晚就想从楼上跳下去"])
def test_any_self_harm_wording_sets_the_self_harm_flag(text):
    flag = detect(text)
    assert flag is not None and flag.self_harm is True


def test_intentional_overdose_is_poisoning_with_self_harm():
    flag = detect("吃了一整瓶安眠药不想活了")
    assert flag == RedFlag(Category.POISONING, "吃了一整瓶安眠药", True)


@pytest.mark.parametrize("text", ["笑死", "累死了", "烦死了", "想死你了", "想死我了"])
def test_idioms_with_death_are_not_self_harm(text):
    assert detect(text) is None


def test_accidental_poisoning_is_not_self_harm():
    flag = detect("孩子误食了老鼠药")
    assert flag is not None and flag.self_harm is False


# ---------------------------------------------------------------------------------------
# Past, negation and admin never hide a present symptom
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "我现在又胸痛了 之前心梗过",
    "去年中风过 今天早上突然嘴歪了",
    "以前有过癫痫 现在又犯了",
    "没有胸痛 但是喘不上气",
    "心梗住院要预授权吗 我爸现在胸口疼得厉害",
    "新闻说有人喝农药 我爸刚才也喝了农药",
    "上个月吐过血已经好了 今天又开始吐血",
])
def test_present_symptom_fires_despite_past_or_negated_mentions_elsewhere(text):
    assert detect(text) is not None


def test_general_question_about_a_symptom_with_a_person_fires():
    assert detect("我爸吐血是什么原因") is not None
    assert detect("吐血是什么原因引起的") is None


# ---------------------------------------------------------------------------------------
# Normalisation properties
# ---------------------------------------------------------------------------------------


def _to_fullwidth(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch == " ":
            out.append("\u3000")
        elif 0x21 <= code <= 0x7E:
            out.append(chr(code + 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


WRAPPERS = [
    "  {}  ",
    "{}！！！",
    "😭😭{}🙏",
    "[流泪]{}[流泪]",
    "…{}？？",
    "\n{}\n",
    "你好，{}",
    "{}怎么办",
    "{} 急急急",
    "你好，{}，怎么办？急急急",
    "管家在吗？{}",
]


@pytest.mark.parametrize("wrapper", WRAPPERS)
@pytest.mark.parametrize("text,category,self_harm", EMERGENCIES, ids=_ids(EMERGENCIES))
def test_detection_is_unaffected_by_punctuation_emoji_spaces_and_polite_wrappers(
    wrapper, text, category, self_harm
):
    flag = detect(wrapper.format(text))
    assert flag is not None
    assert (flag.category, flag.self_harm) == (category, self_harm)


@pytest.mark.parametrize("text,category,self_harm", EMERGENCIES, ids=_ids(EMERGENCIES))
def test_detection_is_unaffected_by_full_width_characters(text, category, self_harm):
    flag = detect(_to_fullwidth(text) + "！")
    assert flag is not None
    assert (flag.category, flag.self_harm) == (category, self_harm)


@pytest.mark.parametrize("wrapper", ["你好，{}", "{}，谢谢", "{} 急急急", "您好 {}😊", "{}？？"])
@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_polite_wrappers_do_not_turn_non_urgent_messages_into_emergencies(wrapper, text):
    assert detect(wrapper.format(text)) is None


@pytest.mark.parametrize("text,category,self_harm", EMERGENCIES, ids=_ids(EMERGENCIES))
def test_matched_is_a_span_of_the_original_text(text, category, self_harm):
    wrapped = f"😭 {_to_fullwidth(text)} ！"
    flag = detect(wrapped)
    assert flag is not None
    assert flag.matched and flag.matched in wrapped


@pytest.mark.parametrize("text", ["", " ", "😭😭", "！！！", "[流泪]", "\u200b", "你好", "ok"])
def test_empty_or_contentless_messages_are_not_flagged(text):
    assert detect(text) is None


def test_english_is_lower_cased():
    flag = detect("CHEST PAIN")
    assert flag is not None and flag.category is Category.CHEST_PAIN


# ---------------------------------------------------------------------------------------
# API shape and speed
# ---------------------------------------------------------------------------------------


def test_red_flag_is_frozen_and_category_is_a_string_enum():
    flag = detect("吐血")
    assert flag == RedFlag(Category.BLEEDING, "吐血", False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        flag.category = Category.BURN  # type: ignore[misc]
    assert Category.BLEEDING == "bleeding"


ADVERSARIAL = [
    "我想预约一下下周的门诊，顺便问问直付的流程。" * 80,
    "过" * 2000,
    "胸口" * 1000,
    "把" * 2000,
    "从" * 2000,
    "吃了" * 1000,
    "没有" * 1000,
    "过敏" * 1000,
    "去年" * 1000,
    "全身起" * 667,
    "a " * 1000,
    "😭" * 2000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=[f"adversarial-{i}" for i in range(len(ADVERSARIAL))])
def test_long_messages_are_checked_quickly(text):
    """No catastrophic backtracking: a 2,000-character message takes milliseconds. Best of
    five, so a busy CI machine's scheduling hiccup does not fail the test."""
    text = text[:2000]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        detect(text)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.05


def test_emergency_at_the_end_of_a_long_message_is_found():
    text = ("我想预约一下下周的门诊，顺便问问直付的流程。" * 90)[:1990] + "我爸突然晕倒了"
    flag = detect(text)
    assert flag is not None and flag.category is Category.UNCONSCIOUS


def test_typical_message_takes_well_under_a_millisecond():
    sentence = "你好，我想帮我妈约下周三上午九点半瑞金医院的皮肤科，大概两万块要预授权吗"
    emergency = "急！我爸突然说话不利索 半边身子没劲 怎么办！！"
    for text in (sentence, emergency):
        timings = []
        for _ in range(200):
            started = time.perf_counter()
            detect(text)
            timings.append(time.perf_counter() - started)
        assert statistics.median(timings) < 0.001


# ---------------------------------------------------------------------------------------
# Third pass (tests/triage/dev_styles.yml): both directions of each new rule
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, category", [
    ("我爸躺下就喘 只能坐着 咳出来粉红色泡沫痰", Category.BREATHING),
    ("刚才抽了一回 停了没几分钟又开始抽 中间一直没醒", Category.SEIZURE),
    ("输液输了一半 脸煞白 血压测不到了", Category.GENERAL),
    ("孩子把洗碗机的洗涤块咬了一口 嘴里起泡", Category.POISONING),
    ("小孩喝了一口瓶子里的百草枯 吐出来了 现在看着没事", Category.POISONING),
    ("屋里烧着煤炉子 一家人都头疼想吐", Category.POISONING),
    ("停经快两个月 突然肚子一侧撕裂样疼 肛门往下坠", Category.PREGNANCY),
    ("我妹怀孕九个月 刚抽了一下 现在叫不太醒", Category.SEIZURE),
    ("宝宝才45天 发烧38.6 不咋吃奶", Category.HIGH_FEVER),
    ("宝宝发烧 手脚冰凉 皮肤花花的 叫他也不怎么哭", Category.UNCONSCIOUS),
    ("上次割腕 这次又割了", Category.SELF_HARM),
    ("去年吃过一瓶安眠药 今天又吃了一瓶", Category.POISONING),
    ("想死的心都有了", Category.SELF_HARM),
    ("我妈癫痫控制得挺好 今天突然又抽了 一直没醒", Category.SEIZURE),
])
def test_third_pass_emergencies(text, category):
    flag = detect(text)
    assert flag is not None and flag.category is category, flag


@pytest.mark.parametrize("text", [
    "烦死了 理赔材料退回来三次 想死的心都有了 到底还缺啥",
    "气得我要跳楼 客服电话打了一上午没人接",
    "我十年前自杀过一次 现在一直在看心理医生 状态挺稳",
    "闺女前年有过割腕的事 现在上大学了挺好的",
    "我同事最近情绪低落 没说过想伤害自己 咋劝他去看看心理科",
    "人为啥会突然晕倒啊 想了解一下",
    "这回带娃看病大出血了 花了八千多 咋理赔最快",
    "俺家老二今天跟抽风似的 满屋子跑",
    "热性惊厥的孩子能打疫苗不",
    "我癫痫控制的挺好 下个月出差能坐飞机不",
    "老公刷手机中毒了 半夜两点还在刷",
    "小孩误吃了干燥剂 硅胶那种 已经问过医生说没毒 现在好好的",
    "小孩吞了一枚硬币 没咳没吐 吃喝正常 能约今天的儿科吗",
])
def test_third_pass_not_emergencies(text):
    assert detect(text) is None


# ---------------------------------------------------------------------------------------
# Fourth pass (tests/triage/dev_voices.yml, written before reading the rules): lay and
# dialect vocabularies, voice-input homophones, and the time and modality of a message
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, category", [
    # voice input and dialects
    ("老爸兄口疼 一身汗", Category.CHEST_PAIN),
    ("我老公心脏不疏服 出了好多汉 脸发白", Category.CHEST_PAIN),
    ("俺爹心口窝子疼得直哼哼", Category.CHEST_PAIN),
    ("阿嬷昏去了 叫伊拢无应", Category.UNCONSCIOUS),
    ("阿爸晕低咗 叫极都唔醒", Category.UNCONSCIOUS),
    ("婆婆倒在沙发边 叫她只会哼哼", Category.UNCONSCIOUS),
    ("ta ba xiong kou tong chu han", Category.CHEST_PAIN),
    ("laogong turan yun dao le", Category.UNCONSCIOUS),
    # chest
    ("老公背上突然像刀扎一样疼 他血压一直高", Category.CHEST_PAIN),
    ("放过支架的 今天躺着不动也疼起来了", Category.CHEST_PAIN),
    ("心率一百六十多次 眼前发花", Category.CHEST_PAIN),
    ("胸口难受得很 一直冒汗", Category.CHEST_PAIN),
    # breathing
    ("孩子喉咙里嘶嘶响 张着嘴喘", Category.BREATHING),
    ("老人呼吸很急 叫也不太应", Category.BREATHING),
    # consciousness, with a reason for it
    ("他打完胰岛素就一直迷迷糊糊的", Category.UNCONSCIOUS),
    ("老爸喝了一斤白酒 现在叫着不太理人", Category.UNCONSCIOUS),
    ("外公说话颠三倒四的 问东答西", Category.UNCONSCIOUS),
    # stroke signs told softly, and a thunderclap told across clauses
    ("我妈刚才吃饭碗突然拿不住了 光看着我不说话", Category.STROKE),
    ("头疼，从来没有这么疼过，还吐了", Category.STROKE),
    # injuries
    ("奶奶跌了一跤 头磕到门框 现在有点糊涂", Category.INJURY),
    ("他磕了后脑勺 鼻子里流出清水", Category.INJURY),
    ("我爸吃着利伐沙班 刚才在楼梯上磕到头了", Category.INJURY),
    ("儿子踢球被顶了肚子 现在脸色发白", Category.INJURY),
    # poisoning: several magnets, foraged mushrooms, a harmful mistaken swallow
    ("女儿吞了三颗巴克球", Category.POISONING),
    ("吃了自己采的菌子 现在一直吐 看东西发花", Category.POISONING),
    ("孩子误吃了一板降压药", Category.POISONING),
    # burns: the face and airway, chemicals in the eye
    ("液化气爆炸 我哥眉毛都烧焦了 说话嗓子哑了", Category.BURN),
    ("石灰溅进眼睛里了 睁不开", Category.BURN),
    ("眼睛里溅了洁厕灵 冲了一下还是睁不开", Category.BURN),
    # bleeding: long nosebleeds, blood loss, blood thinners
    ("流鼻血半个小时了 怎么压都止不住", Category.BLEEDING),
    ("这两天拉黑色的大便 一站起来就眼前发黑", Category.BLEEDING),
    ("吃着华法林 牙龈出血到现在还在渗", Category.BLEEDING),
    ("他喝完酒吐了一地血", Category.BLEEDING),
    # general: torsion, a board-like belly, glucose off the scale or very low, a child drying out
    ("半夜儿子说睾丸疼 疼得吐了", Category.GENERAL),
    ("老人肚子疼，硬得跟石头一样", Category.GENERAL),
    ("血糖仪一直显示hi 人没劲", Category.GENERAL),
    ("我血糖二点五 吃了糖还是心慌手抖", Category.GENERAL),
    ("宝宝拉肚子 现在一天没尿 哭没眼泪", Category.GENERAL),
    # pregnancy, fever, allergy
    ("怀孕三十六周 眼前一直冒金星", Category.PREGNANCY),
    ("孕晚期 血压量了一百六十五", Category.PREGNANCY),
    ("宝宝两周大 体温三十八度", Category.HIGH_FEVER),
    ("孩子先是发烧 后来脖子僵 低不下头", Category.HIGH_FEVER),
    ("我妈刚化疗完一周 今天发烧了", Category.HIGH_FEVER),
    ("我对芒果过敏 刚才不小心吃了一口 现在有点喘", Category.ANAPHYLAXIS),
    ("孩子的肾上腺素笔要不要打 他吃了坚果嘴唇肿了", Category.ANAPHYLAXIS),
])
def test_fourth_pass_emergencies(text, category):
    flag = detect(text)
    assert flag is not None and flag.category is category, flag


@pytest.mark.parametrize("text", [
    # signs said to be normal or absent
    "身上起了一片风团 很痒 喘气正常 嘴唇也不肿",
    "被蜜蜂叮了手背 有点肿 不晕也不喘",
    # breathing words after exercise or a laugh
    "刚跑完五公里 大口喘气 腿软",
    "看脱口秀笑得我喘不上气",
    # a fast heart during exercise
    "跳绳的时候手表显示心率一百七 停下来就降下来了",
    # a chronic condition, not a sudden one
    "我爸帕金森十年了 说话不清楚好几年了 康复训练哪家好",
    "外婆老年痴呆 经常答非所问 有什么护理建议",
    "老人平时就有点迷糊 记性差 想约个记忆门诊",
    # a mild swallow, a small burn, an eye already rinsed
    "孩子误吃了一粒钙片 要紧吗",
    "手指烫伤了 起了个小泡 涂什么药膏好",
    "洗头的时候洗发水进眼睛了 冲了冲 有点涩",
    # a head knock on nobody's blood thinner, with nothing after it
    "孩子头磕了一下 哭完就好了 现在在玩",
    # knowledge, what-if, planning ahead
    "孩子误吞磁力珠会怎么样 家里有这种玩具",
    "煤气中毒的话一般多久会醒",
    "心梗一般发生在什么时候 早上多吗",
    "小孩高热惊厥会不会留后遗症",
    "下个月带孩子去海边 溺水了应该怎么急救",
    "后天要去云南 吃菌子中毒了怎么办",
    # said to be over, or a story told by others
    "胸口疼一般挂什么科 不是现在疼 上周疼过两次",
    "我舅舅那次车祸大出血 差点没命 现在想给他加个意外险",
    "前几年过敏性休克过一次 现在随身带药",
    "生老二那会儿大出血 现在还贫血",
    "小时候掉河里的事过去好多年了 现在还怕水",
    "刷到一个视频 有人吃饭噎住了 吓人",
    "朋友圈看到有个小孩吞了电池 大家注意",
    # fiction, pets, hyperbole
    "电视剧里男主突然吐血晕倒 好假",
    "游戏里我的角色被毒死了",
    "我家狗狗吃了葡萄 一直吐 怎么办",
    "看到这个月的房贷我要晕倒了",
    "被熊孩子气出心脏病了 哈哈",
    "上课老师讲了海姆立克 为什么能救命",
])
def test_fourth_pass_not_emergencies(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "他昨天晕倒了一下 今天又晕倒了",
    "我爸有癫痫 刚才又发作了 抽个不停",
    "奶奶总说心口疼 今天突然疼得出冷汗",
    "被烟呛得喘不过气 嘴唇发紫",
    "我爸突然晕倒 一般是什么原因",
    "我把药吃多了 会不会中毒",
])
def test_fourth_pass_modality_keeps_what_happens_now(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "我妈前天晕倒了一下 马上醒了 今天没事了 要查什么",
    "我有癫痫 今天忘记吃药了 要补吗",
    "奶奶总说心口疼 胃镜查了是胃炎",
    "我妈生我那次大出血 现在还有贫血",
    "心脏骤停能救过来吗",
    "这火锅辣得我喘不过气",
    "这个月绩效压得我要心梗了",
    "人突然晕倒 一般是什么原因",
    "这个药吃多了会不会中毒",
])
def test_fourth_pass_modality_sets_aside_what_does_not(text):
    assert detect(text) is None


@pytest.mark.parametrize("text, category", [
    ("老公说胸口像被针扎一样疼", Category.CHEST_PAIN),
    ("我爸心口揪着疼 半小时了", Category.CHEST_PAIN),
    ("我妈说胃疼 冒了一身冷汗", Category.CHEST_PAIN),
    ("心跳忽快忽慢的 眼前发黑", Category.CHEST_PAIN),
    ("老人喘气很费劲", Category.BREATHING),
    ("他晚上憋得不能平躺 只能坐着", Category.BREATHING),
    ("娃一吸气锁骨那里一凹一凹的", Category.BREATHING),
    ("宝宝四肢一抽一抽的", Category.SEIZURE),
    ("宝宝囟门鼓鼓的 一直吐", Category.GENERAL),
    ("新生儿黄疸 今天一直睡 不吃奶", Category.GENERAL),
    ("孩子把花露水喝了", Category.POISONING),
    ("我爸说眼前一黑 左眼就看不见了", Category.STROKE),
    ("机器压断了手指", Category.INJURY),
    ("水库边 我弟跳下去了 一直没上来", Category.DROWNING),
    ("怀孕七个月 肚子突然特别疼", Category.PREGNANCY),
    ("她来月经出血特别多 脸白得像纸 站不住", Category.BLEEDING),
])
def test_fifth_pass_emergencies(text, category):
    flag = detect(text)
    assert flag is not None and flag.category is category, flag


@pytest.mark.parametrize("text", [
    "孩子胸口凹进去一块 是不是漏斗胸",
    "小腿一抽一抽的 是抽筋吗",
    "胃疼好几天了 想约个胃镜",
    "明天考试 心慌得厉害",
    "风油精能不能涂在宝宝身上",
    "宝宝黄疸有点高 吃奶睡觉都正常",
    "在河边钓鱼 鱼竿掉下去了 没捞上来",
    "孕三十周 肚子有点疼 歇一会就好了",
    "我怀孕八个月 晚上不能平躺睡 只能侧着",
    "怀孕以后老觉得喘气费劲 医生说是正常的",
])
def test_fifth_pass_not_emergencies(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "老公被马蜂蛰了好几下 头晕想吐",
    "孩子被马蜂蛰了一下 脸都肿了",
    "我胸口疼 老毛病又犯了 这次疼得出冷汗",
    "我老婆怀孕了 出血很多 医生说要观察 现在头晕",
    "我爸抽搐的时候嘴唇发紫 现在正在抽",
])
def test_sixth_pass_still_emergencies(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "被马蜂蛰了一下 手背肿了 不晕不喘",
    "我有胸口疼的老毛病 一直吃着药",
    "怀孕九周 有点出血 医生说先兆流产 让在家保胎",
    "我妈癫痫发作时我该怎么做 想提前学一下",
    "孩子抽搐的时候要不要掐人中",
])
def test_sixth_pass_not_emergencies(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "公司组织学习抽搐的急救知识",
    "体检能不能查晕倒的原因",
    "癫痫发作的孩子能上体育课吗",
    "过敏性休克属于重疾吗",
    "癫痫发作能报销吗",
    "邻居说他妈中风了 我该怎么去看望",
])
def test_a_sign_named_as_a_topic_or_someone_elses_known_event_is_not_an_emergency(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我爸抽搐的样子很吓人 现在还在抽",
    "我爸癫痫发作了 能报销吗",
    "邻居说他妈刚刚中风了 现在倒在楼道里",
])
def test_a_topic_word_does_not_hide_an_event_happening_now(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "我爸血压量了二百一 头很疼",
    "我妈血压185 头疼得厉害 还吐了",
    "老人腿突然冰凉发白 疼得厉害",
    "我爸两条腿突然都动不了了",
    "在外面冻了半天 体温三十四度",
])
def test_hypertensive_emergency_limb_ischaemia_paraplegia_and_hypothermia_fire(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "血压平时一百八左右 头有点胀",
    "他平时血压最高二百 吃了药降下来了",
    "电视里演的那个人吐了血 好吓人",
    "哈哈哈 我要被老板气得胸口疼",
    "快被作业逼得吐血了",
])
def test_readings_that_are_usual_stories_on_tv_and_driven_to_figures_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text, category", [
    ("我奶奶发烧 呼吸很快 血压只有八十", Category.HIGH_FEVER),
    ("老人皮肤发花 还发烧", Category.HIGH_FEVER),
    ("他舌头打结 说不出整句", Category.STROKE),
    ("我看东西右边少了一半", Category.STROKE),
    ("孩子吃花生呛了 一直咳 脸都紫了", Category.CHOKING),
    ("孩子双手掐着脖子", Category.CHOKING),
    ("老公趴在桌子上 叫他没反应", Category.UNCONSCIOUS),
    ("我刚吞了一大把药", Category.POISONING),
])
def test_sepsis_signs_and_more_lay_words_fire(text, category):
    flag = detect(text)
    assert flag is not None and flag.category is category, flag


@pytest.mark.parametrize("text", [
    "孩子发烧三十八度五 精神还行 尿也正常",
    "宝宝发烧 手脚冰凉 吃了退烧药",
    "吃了好多药都不管用 咳嗽还是不好",
    "孩子吃花生米呛了一下 咳了两声就好了",
])
def test_a_fever_with_cold_hands_or_a_cough_that_cleared_does_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我爸心梗 现在在去医院的路上 直付哪家最近",
    "我妈好像中风 能不能帮我约个神经内科专家",
    "老公可能是心梗 我们正在打车去医院 需要预授权吗",
    "我姐想不开 刚才把自己锁在房间里",
])
def test_a_suspected_diagnosis_or_one_said_of_someone_now_fires_beside_a_service_request(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "爸爸心梗放了支架后 现在爬楼还会胸闷 想约复查",
    "是不是骨折了 能约今天的骨科吗",
    "年轻时想不开过一次 早就过去了 健康告知怎么填",
])
def test_treated_diagnoses_suspected_fractures_and_old_episodes_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text, category", [
    ("我爸刚才气短得厉害", Category.BREATHING),
    ("老婆现在呼吸费劲", Category.BREATHING),
    ("老人瘫软在地上", Category.UNCONSCIOUS),
    ("邻居大爷人事不知", Category.UNCONSCIOUS),
    ("我爸刚才没反应了", Category.UNCONSCIOUS),
    ("孩子突然翻白眼 牙关咬紧", Category.SEIZURE),
    ("我妈刚才半身不遂了", Category.STROKE),
    ("老公走路不稳 身子老往一边倒", Category.STROKE),
    ("工友被机器绞了手", Category.INJURY),
    ("我爸肚子疼 硬得像板", Category.GENERAL),
    ("老婆肚子疼得满头大汗", Category.GENERAL),
    ("孩子剧烈腹痛 出冷汗", Category.GENERAL),
])
def test_lay_words_from_the_phrase_grid_fire(text, category):
    flag = detect(text)
    assert flag is not None and flag.category is category, flag


@pytest.mark.parametrize("text", [
    "她对我翻白眼 气死我了",
    "牙疼得满头大汗 能约今天的牙科吗",
    "胸口疼挂什么科 现在没什么感觉",
])
def test_eye_rolls_toothache_and_a_pain_gone_now_do_not_fire(text):
    assert detect(text) is None


def test_no_breath_now_is_not_a_statement_that_nothing_happens_now():
    assert detect("老婆现在没有呼吸") is not None


@pytest.mark.parametrize("text", [
    "宝宝发烧 精神萎靡",
    "孩子发烧 叫醒了又睡",
    "宝宝呼吸的时候一直哼哼",
    "孩子浑身发紫",
    "来月经 湿透了好几片卫生巾 头晕",
    "奶奶今天突然迷迷糊糊的 不认人",
    "孩子眼睛被铅笔戳伤了",
    "新生儿体温三十四度五",
])
def test_infant_and_old_age_danger_signs_fire(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "新生儿手脚发紫 正常吗",
    "宝宝发烧 精神还好 能吃能睡",
    "老人最近有点迷糊 记性差",
])
def test_a_newborns_blue_hands_a_lively_feverish_baby_and_slow_forgetting_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我爸刚才说胸前区有压榨感",
    "老公胸骨后烧灼感 一身冷汗",
    "我妈胸口揪心地疼",
    "老人心里难受得很 出了一身大汗",
    "我爸心脏跳得很乱 快晕了",
    "孩子现在喘得说不了话",
    "老人呼吸的时候喉咙里像吹哨子",
    "他只能坐起来才能喘气",
    "我爸呼吸越来越弱",
    "我妈刚才神志恍惚 对答不切题",
    "爷爷突然不认识家人了",
    "我爸吃东西从嘴角漏出来",
    "老公突然天旋地转 站不住",
    "他抽完一直睡 叫不醒",
    "伤口的血像水龙头一样往外冒",
    "我爸头部受伤后一直吐",
    "他肚子被刺伤了",
    "我妈吃了过量的降压药",
    "孩子误食了不明液体",
    "宝宝吐黄绿色的水",
    "两个月宝宝呼吸暂停了几秒",
    "肚子胀 不放屁 一直吐",
    "我爸腹痛难忍",
])
def test_textbook_and_lay_words_for_level_one_and_two_signs_fire(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "吃完火锅胸骨后有烧灼感 是反流吗",
    "老公打呼噜 睡眠呼吸暂停 要查吗",
    "喝多了吐黄绿色的水 胃难受",
    "看了个视频 有人心梗倒地 好吓人",
    "我妈心梗 现在在ICU 怎么申请垫付",
])
def test_heartburn_snoring_a_drinkers_bile_a_video_and_a_patient_in_care_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我爸胸口堵得慌 一直冒冷汗",
    "老婆吸气困难 口唇发绀",
    "我爸刚才晕死过去了",
    "老人瘫那儿了 叫不动",
    "他一头栽倒在地",
    "我妈半边脸不会动了",
    "下身出血很多 头晕",
    "怀孕八个月摔了一跤 肚子疼",
    "老人只有出的气没有进的气",
])
def test_third_grid_of_lay_words_fires(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "钱包里的钱快没了",
    "洗完澡躺下去了 有点累",
    "孕早期上周摔了一跤 检查过没事",
])
def test_third_grid_neighbours_do_not_fire(text):
    assert detect(text) is None


def test_a_head_knock_with_its_signs_denied_does_not_fire():
    assert detect("孩子摔了 额头磕破了一个口子 哭得厉害 没晕没吐") is None
    assert detect("孩子摔了 头磕破了 一直吐") is not None


@pytest.mark.parametrize("text, category", [
    ("我爸血氧只有85", Category.BREATHING),
    ("血氧八十八 喘得厉害", Category.BREATHING),
    ("我妈心率只有三十多 头晕", Category.GENERAL),
    ("老人高压只有七十 头晕 出冷汗", Category.GENERAL),
    ("老人脸色发灰 浑身湿冷 说不上来哪里难受", Category.GENERAL),
    ("孩子头疼 喷射状呕吐", Category.GENERAL),
    ("他大汗淋漓 脸色苍白", Category.GENERAL),
    ("我爸急性心衰发作了", Category.BREATHING),
    ("孩子严重脱水了", Category.GENERAL),
])
def test_home_readings_shock_and_named_level_one_diagnoses_fire(text, category):
    flag = detect(text)
    assert flag is not None and flag.category is category, flag


@pytest.mark.parametrize("text", [
    "平时血氧九十六",
    "运动员心率五十",
    "血压七十 一直这样 没不舒服",
    "量了血压一百二八十 不头晕 就是想问问要不要继续吃药",
    "肺栓塞能报销吗",
    "去年得过气胸 现在想坐飞机",
    "脑膜炎疫苗要打吗",
    "阑尾穿孔住院 能直付吗",
])
def test_usual_readings_and_diagnoses_in_history_or_cover_questions_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "南方冬天湿冷 关节疼得厉害",
    "孩子吃坏了肚子 喷射状呕吐了两次 拉稀",
])
def test_damp_cold_weather_and_a_stomach_upset_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "宝宝不吃奶 身上发凉 没精神",
    "孩子手指卡在电梯缝里出血",
    "孩子吞了一根针",
    "手被绞肉机卷进去了",
    "腿被砸了 压在下面出不来",
    "她站在阳台边上不肯下来",
    "她把一整瓶药吞了 现在昏昏沉沉",
    "喝了自酿的酒 眼睛看不清了",
])
def test_fourth_grid_emergencies_fire(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "把一瓶药吃完了 咳嗽还没好",
    "宝宝哭声尖 是不是饿了",
    "站在阳台边上晾衣服",
    "孩子吞了一根面条",
])
def test_fourth_grid_neighbours_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我爸胸口闷得要命",
    "老公胸口发紧二十分钟了还不好",
    "我妈心口憋得厉害",
    "他胸口难受 还出了一身汗",
    "老婆前胸胀痛 疼到后背",
    "胸骨这里堵得慌 一直不缓解",
])
def test_any_lay_chest_discomfort_that_is_severe_lasting_spreading_or_sweaty_fires(text):
    flag = detect(text)
    assert flag is not None and flag.category is Category.CHEST_PAIN, flag


@pytest.mark.parametrize("text", [
    "最近偶尔胸口闷一下 几秒钟就好",
    "跑步后胸口闷 歇一会就好了",
    "胸闷两天了 想约个心电图",
    "心脏不舒服好几年了 吃着药",
    "我胸口有点闷 想问问挂什么科",
])
def test_mild_passing_or_long_standing_chest_discomfort_does_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我爸刚才晕了",
    "老人刚才倒了",
    "孩子突然软了",
    "老人刚才没知觉了",
    "我爸眼睛闭着 叫不应",
    "孩子刚才抽了",
    "老人刚才翻白眼 牙咬得紧紧的",
    "孩子突然身子发硬 眼睛发直",
    "我爸突然手没劲",
    "老人一下子脸歪",
    "我爸刚才讲话含糊",
    "孩子一下子说不出话",
    "我爸一下子看不清东西",
    "老人喘气很急",
    "孩子吸气费劲",
    "我爸呼吸不上来",
])
def test_a_sign_after_a_time_word_or_in_any_lay_breathing_word_fires(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "我爸刚才倒了杯水",
    "孩子刚才抽了一管血",
    "我老公刚才抽了根烟",
    "我爸心软了 答应了",
    "刚才腿麻了 坐久了",
    "吃了花椒 舌头发麻",
    "爬楼梯喘气费劲 老毛病了",
    "孩子感冒了 呼吸不顺 鼻塞",
])
def test_time_words_and_breathing_words_in_everyday_sense_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我爸大便带很多血",
    "孩子伤口一直出血",
    "手上的口子血往外冒",
    "老婆流血流了一地",
    "我爸摔下楼梯 起不来",
    "孩子腿被车轮压了",
    "老公摔断了腿",
    "孩子吞了洗衣液",
    "我爸吃了好几十片药",
    "孩子吸了好多烟 呛晕了",
    "电线着火 手被烧黑了",
    "孩子烟花炸到了手",
    "孩子喝了牛奶 全身起疹 吐了",
    "老婆怀孕九个月 头疼眼花",
])
def test_fifth_grid_emergencies_fire(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "菜烧焦了 锅也黑了",
    "鸡翅炸糊了",
    "孩子发烧 全身起疹子 吐了一次 精神还行",
    "伤口一直渗一点点血 是不是要换药",
])
def test_fifth_grid_neighbours_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "宝宝高烧四十度 手脚冰凉 精神差",
    "宝宝吞了个小零件 咳不停",
    "宝宝皮肤发黄 不吃奶 一直睡",
    "孩子被锁在车里 车里很热",
    "孩子爬到窗台上 掉下去了",
    "产后抑郁 想带孩子一起死",
    "孩子说要杀了自己",
    "我想和他同归于尽",
])
def test_sixth_grid_emergencies_fire(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "气得想跟老板同归于尽",
    "钥匙锁在车里了 怎么办",
    "宝宝黄疸 皮肤有点发黄 吃奶睡觉都好",
    "孩子发烧三十八度 精神还好",
    "小孩把零件吞了 没什么反应",
])
def test_sixth_grid_neighbours_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text, category", [
    ("我爸吐雪了 好多", Category.BLEEDING),
    ("伤口流雪不止", Category.BLEEDING),
    ("孩子窒熄了", Category.CHOKING),
    ("我妈休刻了", Category.UNCONSCIOUS),
    ("他心绞疼又犯了", Category.CHEST_PAIN),
    ("我爸中峰了", Category.STROKE),
])
def test_more_voice_input_homophones_are_read(text, category):
    flag = detect(text)
    assert flag is not None and flag.category is category, flag


@pytest.mark.parametrize("text", ["外面下雪了 路滑", "带孩子去滑雪 拉雪橇"])
def test_snow_is_still_snow(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我爸腰突然剧痛 出冷汗 头晕",
    "疝气鼓出来推不回去了 很疼",
    "卵巢囊肿 今天突然剧痛",
    "孩子被蝎子蛰了 手发麻 吐了",
])
def test_a_ruptured_aneurysm_an_incarcerated_hernia_a_twisted_cyst_and_venomous_stings_fire(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "腰疼得厉害 是不是腰间盘突出",
    "疝气能做手术吗 推得回去",
    "被蚊子叮了 有点肿",
])
def test_back_pain_a_reducible_hernia_and_a_mosquito_bite_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我爸，喝了，农药",
    "我妈，突然，说话，说不清楚了",
    "老公胸口，疼，出了好多汗，脸色也不好",
    "我爸吐了，好多，血",
    "我妈她，嘴巴，歪了，口水往下流",
    "孩子，吃了，一整瓶，退烧药",
    "老公，心口，疼得，直冒汗",
    "我爸今天早上起来，右边胳膊，右边腿，都没劲",
])
def test_halting_typing_with_a_comma_after_every_few_characters_is_read_as_one_clause(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "你好，我想约个体检，谢谢",
    "去年，心梗，放了支架，现在挺好",
])
def test_joined_fragments_keep_their_negation_and_their_past(text):
    assert detect(text) is None


def test_a_negation_does_not_spread_over_joined_fragments():
    assert detect("体温四十度 不出汗 神志不清") is not None


def test_an_adults_small_burn_with_blisters_is_a_visit_today_but_a_childs_fires():
    assert detect("烫伤了手 起了好几个水泡 比较疼") is None
    assert detect("孩子烫伤了手 起了好几个水泡") is not None
    assert detect("烫伤了一大片 起了好多水泡") is not None


def test_a_long_nosebleed_alone_is_a_visit_today_but_one_that_will_not_stop_fires():
    assert detect("流鼻血二十分钟了 还在流 去哪家医院") is None
    assert detect("流鼻血二十分钟了 怎么按都止不住") is not None


@pytest.mark.parametrize("text", [
    "老人spo2 86",
    "血压80/50 头晕 出冷汗",
    "我爸呼吸45次一分钟",
    "他摔了以后瞳孔一大一小",
])
def test_vital_signs_written_as_a_nurse_would_fire(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "血压120/80 正常吗",
    "宝宝呼吸45次一分钟 正常吗",
    "血压85/55 平时就低 没不舒服",
    "眼科散瞳以后瞳孔放大 看不清",
])
def test_normal_or_usual_vital_signs_and_eye_drops_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我岳父刚才倒了",
    "老伴没气了",
    "老头子没知觉了",
    "我舅舅喝药了",
    "室友突然不动了",
    "俺娘快不行了",
])
def test_the_wider_family_partners_and_companions_can_be_the_patient(text):
    assert detect(text) is not None


def test_a_drink_poured_by_an_in_law_is_not_a_collapse():
    assert detect("我岳父刚才倒了杯茶给我") is None


@pytest.mark.parametrize("text, category", [
    ("老婆大着肚子 下面流了好多血", Category.PREGNANCY),
    ("儿媳妇怀上了 肚子突然很疼", Category.PREGNANCY),
    ("宝宝出生一周 发烧三十八度", Category.HIGH_FEVER),
])
def test_lay_words_for_pregnancy_and_a_newborns_age_count(text, category):
    flag = detect(text)
    assert flag is not None and flag.category is category, flag


def test_a_big_belly_is_not_a_pregnancy_by_itself():
    assert detect("大肚子是不是胖了") is None


@pytest.mark.parametrize("text", ["师傅刚才倒了车 撞到柱子", "我叔真是倒了霉了", "这姑娘刚才倒了垃圾"])
def test_reversing_a_car_bad_luck_and_taking_out_the_rubbish_are_not_a_collapse(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我爸肚子突然剧痛 一碰就疼 不敢动",
    "孩子肚子疼 吐 拉果酱一样的大便",
    "老人好几天没大便 肚子胀 一直吐",
    "老公喝酒后上腹剧痛 疼到后背",
    "孩子发高烧 肚子硬",
    "儿子下面蛋蛋肿得发紫",
    "眼睛被打了一拳 看不见了",
    "突然眼睛剧痛 看灯有彩虹 头疼呕吐",
    "孩子摔了一跤 耳朵流血",
])
def test_abdominal_testicular_and_eye_emergencies_fire(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", [
    "经期肚子疼 不敢动",
    "便秘三天没大便 肚子胀",
    "宝宝肚子硬 是胀气吗",
    "孩子打架 眼睛青了 能看见",
    "孩子耳朵进水了 有点疼",
])
def test_period_pain_constipation_wind_a_black_eye_and_water_in_the_ear_do_not_fire(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", ["发烧三十九度 精神差 不想吃饭", "发烧 昏睡了一天 浑身疼"])
def test_an_adults_malaise_with_flu_is_not_a_childs_danger_sign(text):
    assert detect(text) is None


@pytest.mark.parametrize("text, fires", [
    ("我妈高血压吃了十年药了，最近头有点晕，要不要换药", False),   # years of treatment
    ("吃了二十多年的降压药 能停吗", False),
    ("我爸吃了十几年药了 肝会不会有问题", False),
    ("我妈吃了三十片安眠药", True),                               # a count of pills
    ("他吞了二十多颗药 叫不醒", True),
])
def test_a_count_of_years_is_a_long_treatment_and_a_count_of_pills_an_overdose(text, fires):
    assert (detect(text) is not None) is fires


@pytest.mark.parametrize("text, fires", [
    ("吃了虾以后起了一身疹子 痒 嘴唇不肿 也不喘", False),
    ("打了头孢 眼皮没肿 就是有点痒", False),
    ("吃了虾以后嘴唇肿了", True),
])
def test_a_swelling_said_to_be_absent_is_no_anaphylaxis(text, fires):
    assert (detect(text) is not None) is fires


@pytest.mark.parametrize("text, fires", [
    ("吃了过期的牛奶 肚子有点不舒服 会中毒吗", False),     # the condition is the question
    ("昨天吃了剩饭拉肚子 是食物中毒吗", False),
    ("头晕眼花 是不是中风的前兆", False),
    ("手麻是脑梗的症状吗", False),
    ("我爸是不是中风了", True),                            # 了: something happening to him
    ("胸口疼得厉害出冷汗 是心梗吗", True),                 # the signs decide
    ("孩子吃了一口洗衣液 会中毒吗", True),
])
def test_a_condition_asked_about_is_not_reported_unless_the_signs_say_so(text, fires):
    assert (detect(text) is not None) is fires


@pytest.mark.parametrize("text", ["孩子吃了一颗纽扣电池 现在怎么办", "宝宝吞了一节电池",
                                  "孩子吃了两个磁珠"])
def test_a_counted_battery_or_magnet_swallowed_is_an_emergency(text):
    assert detect(text) is not None


# ---------------------------------------------------------------------------------------
# Sixth pass (tests/triage/dev_asks.yml, online-consultation style, written before reading
# the rules): lay words for emergencies, and what makes an alarming word no report of now
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, category", [
    ("儿子玩磁力珠 吞了两颗下去", Category.POISONING),
    ("切到手腕了 血一股一股往外喷", Category.BLEEDING),
    ("我爸刚才吐了一脸盆血", Category.BLEEDING),
    ("刚打完针 喉咙发紧 全身发痒", Category.ANAPHYLAXIS),
    ("家里煤气味好大 我妈说头疼想吐", Category.POISONING),
    ("宝宝拉了果酱一样的红大便", Category.GENERAL),
    ("孩子喘得肋骨中间都凹进去了", Category.BREATHING),
    ("喉咙疼 口水都咽不下去 一直流口水", Category.BREATHING),   # drooling: the airway may close
    ("坐着前倾才喘得上气", Category.BREATHING),
    ("左腿突然剧痛 脚背摸不到跳", Category.GENERAL),
    ("女儿一个多月大 体温37.9到38.2来回", Category.HIGH_FEVER),
    ("我爸喝了自己勾兑的散酒 现在眼睛看不清", Category.POISONING),
    ("老婆怀孕28周 肚子一阵一阵疼 刚才下面流出好多水", Category.PREGNANCY),
    ("阿妈突然讲唔到嘢 半边面垂落嚟", Category.STROKE),
])
def test_sixth_pass_emergencies(text, category):
    flag = detect(text)
    assert (flag.category if flag else None) is category


@pytest.mark.parametrize("text", [
    "骑车摔了 手腕肿了 一转就钻心地疼",                     # 钻心: a pain's strength, not the heart
    "全身起风团 很痒 没有喘 嘴巴喉咙也不肿",
    "喂奶一个月 乳房又红又硬 今天发烧38.9",                  # the mother's fever, not the baby's
    "新冠阳了以后咳了快一个月 不发烧了",
    "吃了抗癫痫药 身上出了红疹子",
    "我没有想伤害自己 就是想问要不要看心理科",
    "他没说过不想活 我想带他看看心理医生",
    "去年吃海鲜过敏过一次 嘴唇肿了 在医院打了针好了",
    "嗓子里总觉得有东西 咽不下去吐不出来 半年了",
    "晚上胸闷憋醒 这种情况两三个月了",
    "我妈年轻时候抽过风 就是羊角风 这十来年都没犯过",
    "睡觉的时候手脚会猛地抽一下 是抽搐吗",
    "孩子胸口凹进去一块 是不是漏斗胸",
])
def test_sixth_pass_not_emergencies(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "胸口疼了三个月 今天突然加重 出冷汗",                   # chronic, but worse now
    "咳血丝两个月了 今天咳了一大口血",
    "宝宝两个月了 发烧38度",                                  # an age, not a duration
])
def test_a_chronic_trouble_that_is_new_or_worse_now_still_fires(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text", ["胸口疼 冠心病五年了", "胸口压着疼 出冷汗 这种情况两个月了"])
def test_a_diagnosis_of_years_or_a_severe_sign_keeps_the_sign_of_now(text):
    assert detect(text) is not None


# ---------------------------------------------------------------------------------------
# Seventh pass (tests/triage/dev_traps.yml, hard traps written before reading the rules):
# what makes an alarming word no report of now
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "中风和脑梗是一回事吗",                                   # what words mean, how they differ
    "心梗跟心绞痛有啥不一样",
    "什么叫热射病",
    "吃了毒蘑菇为啥要洗胃",
    "想轻生的人一般会说些什么 我想多留意我同学",               # such people in general
    "夏天车里开空调睡觉会不会一氧化碳中毒",                    # whether it could happen
    "那年我爸吐了好多血 后来住院治疗好了 现在要复查吗",       # told as over
    "我妈2019年脑梗过 现在能打流感疫苗吗",                    # a year named before it
    "我爸心梗都三年了 平时要注意啥",                           # the time since it
    "孩子抽筋现在在儿童医院急诊 医生让抽血 正常吗",           # in the doctors' hands now
    "我哥喝农药 现在还在ICU 医生说肝功能不好 预授权怎么弄",
    "想找个看中风好的专家",                                    # a doctor for a condition
    "感冒咳嗽 一咳嗽就胸口疼",                                 # the chest wall, not the heart
    "股票又跌了 吐血",                                         # figures of speech about money
    "这个月信用卡账单出来了 我直接晕倒",
    "领导突然点名让我发言 窒息",
    "看鬼片 吓得心跳漏了一拍",
    "新闻里一家人烧炭取暖中毒了 我家该装报警器吗",              # 一家人: not the writer's
    "兔子刚才抽了两下 是不是中毒了",                           # a pet opening the message
])
def test_seventh_pass_not_emergencies(text):
    assert detect(text) is None


@pytest.mark.parametrize("text", [
    "我妈现在在医院 刚才突然抽搐了 叫不醒",                   # something sudden in hospital
    "我爸在去医院的路上 胸口疼得厉害 出冷汗",
    "咳嗽完胸口压着疼 出冷汗",                                 # a cardiac alarm beside it
    "股票亏了 我爸气得胸口疼 出冷汗",                          # a body beside the money
    "宝宝吃果冻卡住了 窒息",
    "孩子会不会是中毒了 刚才吃了一把药片",                     # told as happening
])
def test_seventh_pass_still_emergencies(text):
    assert detect(text) is not None


@pytest.mark.parametrize("text, category", [
    ("胸口正中间疼 一阵一阵的", Category.CHEST_PAIN),
    ("胸口闷闷的 疼到左胳膊了", Category.CHEST_PAIN),                 # spreading to the left arm
    ("我想说话 嘴就是说不出来 左边胳膊好沉", Category.STROKE),
    ("我爸早上起来头突然剧痛 吐了一次", Category.STROKE),             # thunderclap
    ("头突然像要炸开一样疼", Category.STROKE),
    ("孩子四个月 叫她也不睁眼", Category.UNCONSCIOUS),
    ("月经量特别大 头晕眼前发黑", Category.BLEEDING),
    ("我弟喝了一小口瓶子里的百草枯 吐出来了", Category.POISONING),   # a mouthful kills
    ("钢筋扎进肚子了", Category.INJURY),
    ("玻璃还插在肉里", Category.INJURY),
    ("儿子把一锅热汤弄翻了 泼在身上烫了", Category.BURN),
    ("从胸口到肚子全烫红了", Category.BURN),
    ("老婆要生了 宝宝头都露出来了", Category.PREGNANCY),
    ("安眠药都吞下去了 永别了", Category.SELF_HARM),
    ("攒的药够了 今晚一口气吃掉", Category.SELF_HARM),
    ("木炭准备好了 窗缝都用胶带封上了", Category.SELF_HARM),
    ("谢谢你们这些年的照顾 以后不用再联系我了 一切都安排好了", Category.SELF_HARM),
    ("胳膊上又割了好几道", Category.SELF_HARM),
])
def test_seventh_pass_emergencies(text, category):
    flag = detect(text)
    assert (flag.category if flag else None) is category


@pytest.mark.parametrize("text", [
    "手腕上划了两道 猫抓的",
    "右腿好沉 走了一天路",
    "我都准备好了 谢谢你们一直照顾 明天手术",
    "攒的药过期了吗",
    "买了木炭 周末烧烤 门窗要封上吗",
    "孩子把热水壶打翻了 手背红了一块",
    "剪树枝的时候树枝戳到眼睛了 眼睛红 看得清",          # a poke at an eye: seen today
])
def test_seventh_pass_neighbours_do_not_fire(text):
    assert detect(text) is None
