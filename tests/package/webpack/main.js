import { stream } from "streamguard";
import { mount } from "../shared/page.js";

mount(stream);
